import Link from "@/components/Link";
import type { ReactNode } from "react";
import { getT } from "@/app/_lib/i18n";
import { roleMayUse } from "@/lib/staff/permissions";
import { SECTIONS } from "../_lib/nav";
import { currentStaff } from "../_lib/guard";
import { CsrfProvider } from "../_components/CsrfProvider";
import { ActionForm } from "../_components/ActionForm";
import styles from "./staff.module.css";
import { fill } from "@/lib/messages/format";

export const dynamic = "force-dynamic";

/** Staff console frame: the navigation shows only what the role may open. Each page still checks for itself. */
export default async function StaffLayout({ children }: { children: ReactNode }) {
  const { t } = await getT();
  const s = t.staff;
  const staff = await currentStaff();
  return (
    <CsrfProvider token={staff?.session.csrfToken ?? ""}>
      {staff && (
        <div className={styles.bar}>
          <div className={`container ${styles.wide} ${styles.barInner}`}>
            <nav className={styles.nav} aria-label={s.console}>
              {SECTIONS.filter((l) => roleMayUse(staff.user.role, l.path)).map((l) => (
                <Link key={l.path} href={l.path}>
                  {s.nav[l.key]}
                </Link>
              ))}
            </nav>
            <div className={styles.who}>
              <span data-testid="signed-in-as">
                {fill(s.signedInAs, {
                  name: staff.user.displayName ?? staff.user.username,
                  role: s.roles[staff.user.role],
                })}
              </span>
              <ActionForm
                action="/api/staff/session"
                method="DELETE"
                submitLabel={s.signOut}
                busyLabel={s.submitting}
                redirectTo="/staff/login"
              />
            </div>
          </div>
        </div>
      )}
      <div className={`container ${styles.wide}`}>{children}</div>
    </CsrfProvider>
  );
}
