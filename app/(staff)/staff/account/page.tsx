import { getT } from "@/app/_lib/i18n";
import { requireStaff } from "../../_lib/guard";
import { ActionForm } from "../../_components/ActionForm";
import { TotpEnrol } from "../../_components/TotpEnrol";
import { fill } from "@/lib/messages/format";

export default async function AccountPage() {
  const staff = await requireStaff("/staff/account");
  const { t } = await getT();
  const s = t.staff;
  const a = s.account;
  return (
    <div className="stack" style={{ maxWidth: 640 }}>
      <h1>{a.title}</h1>
      <p>
        {fill(s.signedInAs, { name: staff.user.displayName ?? staff.user.username, role: s.roles[staff.user.role] })}
      </p>
      <section className="card">
        <h2>{a.totp}</h2>
        {staff.user.totpEnabled ? (
          <>
            <p>{a.totpOn}</p>
            <ActionForm
              action="/api/staff/account/totp"
              method="DELETE"
              submitLabel={a.totpDisable}
              busyLabel={s.submitting}
              danger
            >
              <div className="field">
                <label htmlFor="code">{a.totpCode}</label>
                <input id="code" name="code" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} required />
              </div>
            </ActionForm>
          </>
        ) : (
          <>
            <p className="muted">{a.totpOff}</p>
            <TotpEnrol
              labels={{
                start: a.totpStart,
                scan: a.totpScan,
                secret: a.totpSecret,
                code: a.totpCode,
                confirm: a.totpConfirm,
                busy: s.submitting,
              }}
            />
          </>
        )}
      </section>
      <section className="card">
        <h2>{s.signOutEverywhere}</h2>
        <p className="muted">{s.signOutEverywhereHint}</p>
        <ActionForm
          action="/api/staff/sessions"
          method="DELETE"
          submitLabel={s.signOutEverywhere}
          busyLabel={s.submitting}
          danger
          redirectTo="/staff/login"
        />
      </section>
    </div>
  );
}
