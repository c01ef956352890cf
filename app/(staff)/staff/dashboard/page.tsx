import Link from "next/link";
import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { systemClock } from "@/lib/clock";
import { dashboard } from "@/lib/staff/dashboard";
import { requireStaff } from "../../_lib/guard";
import { DayBars, RevenueLines } from "../../_components/DashboardCharts";
import { TableWrap } from "../../_components/TableWrap";
import styles from "../staff.module.css";
import { fill, formatDateTime } from "@/lib/messages/format";

export default async function DashboardPage() {
  await requireStaff("/staff/dashboard");
  const { t, locale } = await getT();
  const d = t.staff.dashboard;
  const data = await dashboard(await getDb(), systemClock);

  return (
    <>
      <h1>{d.title}</h1>
      <div className={`grid-2 ${styles.rows}`}>
        <section className="card">
          <h2>{d.renewals}</h2>
          <DayBars data={data.renewalsPerDay} label={d.renewals} testId="chart-renewals" />
        </section>
        <section className="card">
          <h2>{d.revenue}</h2>
          <RevenueLines
            data={data.revenuePerDay}
            received={d.revenueSeries}
            refunded={d.refundSeries}
            testId="chart-revenue"
          />
        </section>
        <section className="card">
          <h2>{d.expiring}</h2>
          <p className="muted">{fill(d.expiringTotal, { count: data.expiringTotal })}</p>
          <DayBars data={data.expiringPerDay} label={d.expiring} testId="chart-expiring" />
        </section>
        <section className="card">
          <h2>{d.byState}</h2>
          <DayBars
            data={Object.entries(data.byState).map(([state, value]) => ({
              day: t.staff.states[state] ?? state,
              value,
            }))}
            label={d.byState}
            testId="chart-states"
          />
        </section>
      </div>

      <section className="card section">
        <h2>{fill(d.stuck, { minutes: data.stuckMinutes })}</h2>
        {data.stuck.length === 0 ? (
          <p className="muted">{d.noStuck}</p>
        ) : (
          <TableWrap label={d.title}>
            <table className="table">
              <thead>
                <tr>
                  <th>{d.columns.orderNo}</th>
                  <th>{d.columns.state}</th>
                  <th>{d.columns.holder}</th>
                  <th>{d.columns.since}</th>
                </tr>
              </thead>
              <tbody>
                {data.stuck.map((o) => (
                  <tr key={o.id}>
                    <td>
                      <Link href={`/staff/orders/${o.id}`} className="mono">
                        {o.orderNo}
                      </Link>
                    </td>
                    <td>{t.staff.states[o.state]}</td>
                    <td>{o.holderName}</td>
                    <td className="small">{formatDateTime(o.updatedAt, locale)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>

      <section className="card section">
        <h2>{d.failedMails}</h2>
        {data.failedMails.length === 0 ? (
          <p className="muted">{d.noFailedMails}</p>
        ) : (
          <TableWrap label={d.title}>
            <table className="table">
              <thead>
                <tr>
                  <th>{d.columns.at}</th>
                  <th>{d.columns.template}</th>
                  <th>{d.columns.to}</th>
                  <th>{d.columns.attempts}</th>
                  <th>{d.columns.error}</th>
                </tr>
              </thead>
              <tbody>
                {data.failedMails.map((m) => (
                  <tr key={m.id}>
                    <td className="small">{formatDateTime(m.createdAt, locale)}</td>
                    <td className="mono small">
                      {m.orderId ? <Link href={`/staff/orders/${m.orderId}`}>{m.template}</Link> : m.template}
                    </td>
                    <td>{m.to}</td>
                    <td>{m.attempts}</td>
                    <td className="small">{m.lastError}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
    </>
  );
}
