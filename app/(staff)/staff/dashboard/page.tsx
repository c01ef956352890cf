import Link from "@/components/Link";
import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { systemClock } from "@/lib/clock";
import { dashboard } from "@/lib/staff/dashboard";
import { can } from "@/lib/staff/permissions";
import { requireStaff } from "../../_lib/guard";
import { ActionForm } from "../../_components/ActionForm";
import { DayBars, RevenueLines } from "../../_components/DashboardCharts";
import { DataTable } from "@/components/ui/DataTable";
import styles from "../staff.module.css";
import { fill, formatDateTime } from "@/lib/messages/format";

export default async function DashboardPage() {
  const staff = await requireStaff("/staff/dashboard");
  const mayRetry = can(staff.user.role, "orders.resend_mail");
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
        <DataTable
          label={d.title}
          rows={data.stuck}
          rowKey={(o) => o.id}
          empty={d.noStuck}
          columns={[
            {
              header: d.columns.orderNo,
              cell: (o) => (
                <Link href={`/staff/orders/${o.id}`} className="mono">
                  {o.orderNo}
                </Link>
              ),
            },
            { header: d.columns.state, cell: (o) => t.staff.states[o.state] },
            { header: d.columns.holder, cell: (o) => o.holderName },
            { header: d.columns.since, className: "small", cell: (o) => formatDateTime(o.updatedAt, locale) },
          ]}
        />
      </section>

      {data.stuckRevocations.length > 0 && (
        <section className="card section" data-testid="stuck-revocations">
          <h2>{d.stuckRevocations}</h2>
          <DataTable
            label={d.stuckRevocations}
            rows={data.stuckRevocations}
            rowKey={(r) => r.id}
            empty={d.noStuckRevocations}
            columns={[
              { header: d.columns.at, className: "small", cell: (r) => formatDateTime(r.createdAt, locale) },
              { header: d.columns.state, className: "mono small", cell: (r) => `${r.serial} · ${r.state}` },
              { header: d.columns.attempts, cell: (r) => r.attempts },
              { header: d.columns.error, className: "small", cell: (r) => r.lastError },
            ]}
          />
        </section>
      )}

      <section className="card section">
        <h2>{d.failedMails}</h2>
        <DataTable
          label={d.title}
          rows={data.failedMails}
          rowKey={(m) => m.id}
          empty={d.noFailedMails}
          columns={[
            { header: d.columns.at, className: "small", cell: (m) => formatDateTime(m.createdAt, locale) },
            {
              header: d.columns.template,
              className: "mono small",
              cell: (m) => (m.orderId ? <Link href={`/staff/orders/${m.orderId}`}>{m.template}</Link> : m.template),
            },
            { header: d.columns.to, cell: (m) => m.to },
            { header: d.columns.attempts, cell: (m) => m.attempts },
            { header: d.columns.error, className: "small", cell: (m) => m.lastError },
            mayRetry && {
              header: d.columns.actions,
              cell: (m) => (
                <ActionForm
                  action={`/api/staff/mails/${m.id}/retry`}
                  submitLabel={d.retry}
                  busyLabel={t.staff.submitting}
                  testId={`retry-mail-${m.id}`}
                />
              ),
            },
          ]}
        />
      </section>
    </>
  );
}
