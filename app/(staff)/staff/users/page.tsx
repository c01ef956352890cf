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
  // the props every change of one account shares: PATCH of its URL with the change's kind
  const change = (id: string, kind: string) => ({
    action: `/api/staff/users/${id}`,
    method: "PATCH" as const,
    extra: { kind },
    busyLabel: t.staff.submitting,
  });
  const roleOptions = ROLES.map((r) => (
    <option key={r} value={r}>
      {t.staff.roles[r]}
    </option>
  ));

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
                        {...change(user.id, user.disabled ? "enable" : "disable")}
                        submitLabel={user.disabled ? u.enable : u.disable}
                        danger={!user.disabled}
                      />
                      {user.lockedUntil && <ActionForm {...change(user.id, "unlock")} submitLabel={u.unlock} />}
                      <ActionForm {...change(user.id, "role")} submitLabel={u.changeRole}>
                        <div className="field">
                          <select name="role" defaultValue={user.role} aria-label={u.role}>
                            {roleOptions}
                          </select>
                        </div>
                      </ActionForm>
                      <ActionForm {...change(user.id, "password")} submitLabel={u.resetPassword}>
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
                {roleOptions}
              </select>
            </div>
          </ActionForm>
        </section>
      )}
    </>
  );
}
