import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { listRecoveries } from "@/lib/kmc/recovery";
import { formatDateTime } from "@/lib/messages/format";
import { can } from "@/lib/staff/permissions";
import { requireStaff } from "../../_lib/guard";
import { ActionForm } from "../../_components/ActionForm";

export const dynamic = "force-dynamic";

/** Key recovery requests: one officer asks, another approves (lib/kmc/recovery.ts). */
export default async function KmcPage() {
  const staff = await requireStaff("/staff/kmc");
  const { t, locale } = await getT();
  const k = t.kmc;
  const recover = can(staff.user.role, "kmc.recover");
  const recoveries = await listRecoveries(await getDb());
  return (
    <>
      <h1>{k.title}</h1>
      <p className="muted">{k.intro}</p>
      {recover ? (
        <section className="card" style={{ maxWidth: 640 }}>
          <h2 className="small">{k.request}</h2>
          <ActionForm
            action="/api/staff/kmc/recoveries"
            submitLabel={k.submit}
            busyLabel={k.submitting}
            testId="kmc-request"
          >
            <div className="field">
              <label htmlFor="kmc-serial">{k.serial}</label>
              <input id="kmc-serial" name="serial" className="mono" required />
            </div>
            <div className="field">
              <label htmlFor="kmc-reason">{k.reason}</label>
              <input id="kmc-reason" name="reason" maxLength={500} required />
            </div>
          </ActionForm>
        </section>
      ) : null}
      {recoveries.length === 0 ? (
        <p className="muted">{k.empty}</p>
      ) : (
        <table className="table" data-testid="kmc-recoveries">
          <thead>
            <tr>
              <th>{k.columns.createdAt}</th>
              <th>{k.columns.holder}</th>
              <th>{k.columns.serial}</th>
              <th>{k.columns.reason}</th>
              <th>{k.columns.state}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {recoveries.map((r) => (
              <tr key={r.id}>
                <td>{formatDateTime(r.createdAt, locale)}</td>
                <td>{r.kmcKey.certificate?.holderName}</td>
                <td className="mono">{r.kmcKey.certificate?.serial}</td>
                <td>
                  {r.requestedById === null ? (
                    <>
                      {k.holderReasons[r.reason.replace(/^holder:/, "")] ?? r.reason}
                      <br />
                      <span className="muted small">{k.holderRequest}</span>
                    </>
                  ) : (
                    r.reason
                  )}
                </td>
                <td>{k.states[r.state]}</td>
                <td>
                  {recover && (r.state === "requested" || r.state === "endorsed") ? (
                    r.requestedById === staff.user.id || r.endorsedById === staff.user.id ? (
                      <span className="muted small">{r.endorsedById ? k.ownApproval : k.ownRequest}</span>
                    ) : (
                      <>
                        <ActionForm
                          action={`/api/staff/kmc/recoveries/${r.id}/decision`}
                          extra={{ approve: true }}
                          submitLabel={k.approve}
                          busyLabel={k.submitting}
                        />
                        <ActionForm
                          action={`/api/staff/kmc/recoveries/${r.id}/decision`}
                          extra={{ approve: false }}
                          submitLabel={k.reject}
                          busyLabel={k.submitting}
                          danger
                        />
                      </>
                    )
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
