import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { can } from "@/lib/staff/permissions";
import { listSettings } from "@/lib/settings/policy";
import { requireStaff } from "../../_lib/guard";
import { ActionForm } from "../../_components/ActionForm";
import { fill, formatDateTime } from "@/lib/messages/format";

export default async function SettingsPage() {
  const staff = await requireStaff("/staff/settings");
  const { t, locale } = await getT();
  const st = t.staff.settings;
  const settings = await listSettings(await getDb());
  const manage = can(staff.user.role, "settings.manage");
  const shown = (v: unknown) => (Array.isArray(v) ? v.join(", ") : String(v));

  return (
    <>
      <h1>{st.title}</h1>
      <div className="stack" style={{ maxWidth: 640 }}>
        {settings.map((s) => (
          <section key={s.key} className="card">
            <h2 className="small">{st.labels[s.key]}</h2>
            <p className="muted small">
              <span className="mono">{s.key}</span> ·{" "}
              {s.isDefault
                ? st.isDefault
                : fill(st.updated, { at: s.updatedAt ? formatDateTime(s.updatedAt, locale) : "" })}
            </p>
            {manage ? (
              <ActionForm
                action="/api/staff/settings"
                method="PUT"
                extra={{ key: s.key }}
                submitLabel={st.save}
                busyLabel={t.staff.submitting}
                testId={`setting-${s.key}`}
              >
                <div className="field">
                  <input name="value" defaultValue={shown(s.value)} aria-label={st.labels[s.key]} required />
                </div>
              </ActionForm>
            ) : (
              <p className="mono">{shown(s.value)}</p>
            )}
          </section>
        ))}
      </div>
    </>
  );
}
