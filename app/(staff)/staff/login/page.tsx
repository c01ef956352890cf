import { redirect } from "next/navigation";
import type { Metadata } from "next";
import { getT } from "@/app/_lib/i18n";
import { currentStaff } from "../../_lib/guard";
import { ActionForm } from "../../_components/ActionForm";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.staff.login.title };
}

/** Registered as "/staff/login" (public) in lib/staff/permissions STAFF_ROUTES. */
export default async function StaffLoginPage() {
  if (await currentStaff()) redirect("/staff");
  const { t } = await getT();
  const l = t.staff.login;
  return (
    <div className="narrow card" style={{ maxWidth: 440, margin: "0 auto" }}>
      <h1>{l.title}</h1>
      <ActionForm
        action="/api/staff/session"
        submitLabel={l.submit}
        busyLabel={t.staff.submitting}
        redirectTo="/staff"
        testId="staff-login"
      >
        <div className="field">
          <label htmlFor="username">{l.username}</label>
          <input id="username" name="username" autoComplete="username" required maxLength={32} />
        </div>
        <div className="field">
          <label htmlFor="password">{l.password}</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            maxLength={128}
          />
        </div>
        <div className="field">
          <label htmlFor="otp">{l.otp}</label>
          <input
            id="otp"
            name="otp"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
          />
        </div>
      </ActionForm>
      <p className="muted small">{l.hint}</p>
    </div>
  );
}
