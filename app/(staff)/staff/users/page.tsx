import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { can, ROLES } from "@/lib/staff/permissions";
import { listStaffUsers } from "@/lib/staff/users";
import { requireStaff } from "../../_lib/guard";
import { ActionForm } from "../../_components/ActionForm";
import { DataTable } from "@/components/ui/DataTable";
import styles from "../staff.module.css";
import { fill, formatDateTime } from "@/lib/messages/format";

export default async function StaffUsersPage() {
  const staff = await requireStaff("/staff/users");
  const { t, locale } = await getT();
  const u = t.staff.users;
  const users = await listStaffUsers(await getDb());
  const manage = can(staff.user.role, "staff.manage");
  const now = new Date();

  return (
    <>
      <h1>{u.title}</h1>
      <DataTable
        label={u.title}
        rows={users}
        rowKey={(user) => user.id}
        columns={[
          { header: u.columns.username, className: "mono", cell: (user) => user.username },
          { header: u.columns.name, cell: (user) => user.displayName },
          { header: u.columns.role, cell: (user) => t.staff.roles[user.role] },
          {
            header: u.columns.status,
            cell: (user) => (
              <>
                {user.disabled ? (
                  <span className="badge badge-muted">{u.disabled}</span>
                ) : (
                  <span className={`badge badge-ok ${styles.okText}`}>{u.active}</span>
                )}
                {user.lockedUntil && user.lockedUntil > now && (
                  <span className="badge badge-warn">
                    {fill(u.locked, { until: formatDateTime(user.lockedUntil, locale) })}
                  </span>
                )}
              </>
            ),
          },
          { header: u.columns.totp, cell: (user) => (user.totpEnabled ? u.on : u.off) },
          { header: u.columns.created, className: "small", cell: (user) => formatDateTime(user.createdAt, locale) },
          manage && {
            cell: (user) => (
              <>
                {user.id !== staff.user.id && (
                  <details>
                    <summary>{u.manage}</summary>
                    <div className="stack">
                      <ActionForm
                        action={`/api/staff/users/${user.id}`}
                        method="PATCH"
                        extra={{ kind: user.disabled ? "enable" : "disable" }}
                        submitLabel={user.disabled ? u.enable : u.disable}
                        busyLabel={t.staff.submitting}
                        danger={!user.disabled}
                      />
                      {user.lockedUntil && (
                        <ActionForm
                          action={`/api/staff/users/${user.id}`}
                          method="PATCH"
                          extra={{ kind: "unlock" }}
                          submitLabel={u.unlock}
                          busyLabel={t.staff.submitting}
                        />
                      )}
                      <ActionForm
                        action={`/api/staff/users/${user.id}`}
                        method="PATCH"
                        extra={{ kind: "role" }}
                        submitLabel={u.changeRole}
                        busyLabel={t.staff.submitting}
                      >
                        <div className="field">
                          <select name="role" defaultValue={user.role} aria-label={u.role}>
                            {ROLES.map((r) => (
                              <option key={r} value={r}>
                                {t.staff.roles[r]}
                              </option>
                            ))}
                          </select>
                        </div>
                      </ActionForm>
                      <ActionForm
                        action={`/api/staff/users/${user.id}`}
                        method="PATCH"
                        extra={{ kind: "password" }}
                        submitLabel={u.resetPassword}
                        busyLabel={t.staff.submitting}
                      >
                        <div className="field">
                          <input
                            name="password"
                            type="password"
                            autoComplete="new-password"
                            aria-label={u.newPassword}
                            required
                            minLength={12}
                          />
                        </div>
                      </ActionForm>
                    </div>
                  </details>
                )}
              </>
            ),
          },
        ]}
      />

      {manage && (
        <section className="card section" style={{ maxWidth: 520 }}>
          <h2>{u.create}</h2>
          <ActionForm action="/api/staff/users" submitLabel={u.submit} busyLabel={t.staff.submitting}>
            <div className="field">
              <label htmlFor="username">{u.username}</label>
              <input
                id="username"
                name="username"
                required
                pattern="[a-zA-Z][a-zA-Z0-9._\-]{2,31}"
                autoComplete="off"
              />
            </div>
            <div className="field">
              <label htmlFor="displayName">{u.displayName}</label>
              <input id="displayName" name="displayName" maxLength={60} />
            </div>
            <div className="field">
              <label htmlFor="password">{u.password}</label>
              <input
                id="password"
                name="password"
                type="password"
                required
                minLength={12}
                autoComplete="new-password"
              />
              <span className="field-hint">{u.passwordHint}</span>
            </div>
            <div className="field">
              <label htmlFor="role">{u.role}</label>
              <select id="role" name="role" defaultValue="helpdesk">
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {t.staff.roles[r]}
                  </option>
                ))}
              </select>
            </div>
          </ActionForm>
        </section>
      )}
    </>
  );
}
