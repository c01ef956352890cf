import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { can } from "@/lib/staff/permissions";
import { listContent } from "@/lib/content/store";
import { requireStaff } from "../../_lib/guard";
import { ContentEditor } from "../../_components/ContentEditor";
import { fill, formatDateTime } from "@/lib/messages/format";
import type { Locale } from "@/lib/errors";

export const dynamic = "force-dynamic";

const LOCALES: Locale[] = ["zh-CN", "en"];

/** 内容管理: service centre, checklists, guide, FAQ, home notices and downloads, per language, with preview. */
export default async function ContentPage() {
  const staff = await requireStaff("/staff/content");
  const { t, locale } = await getT();
  const c = t.staff.content;
  const db = await getDb();
  const manage = can(staff.user.role, "content.manage");
  const entries = await Promise.all(LOCALES.map((l) => listContent(db, l)));
  return (
    <>
      <h1>{c.title}</h1>
      <p className="muted">{c.intro}</p>
      <div className="stack" style={{ maxWidth: 900 }}>
        {entries[0].map((first, i) => (
          <section key={first.key} className="card" data-testid={`content-${first.key}`}>
            <h2>{c.keys[first.key]}</h2>
            {LOCALES.map((l, j) => {
              const e = entries[j][i];
              return (
                <details key={l} open={l === locale && i === 0}>
                  <summary>
                    {c.locales[l]} ·{" "}
                    <span className="muted small">
                      {e.isDefault
                        ? c.isDefault
                        : fill(c.updated, { at: e.updatedAt ? formatDateTime(e.updatedAt, locale) : "" })}
                    </span>
                  </summary>
                  <ContentEditor
                    entryKey={e.key}
                    locale={l}
                    initial={JSON.stringify(e.value, null, 2)}
                    manage={manage}
                    t={c.editor}
                  />
                </details>
              );
            })}
          </section>
        ))}
      </div>
    </>
  );
}
