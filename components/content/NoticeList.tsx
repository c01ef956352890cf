import type { Notice } from "@/lib/content/store";

/** The operator's notices on the home page (maintenance, holidays, changed hours), newest rules first. */
export function NoticeList({ notices, label }: { notices: readonly Notice[]; label: string }) {
  if (notices.length === 0) return null;
  return (
    <section aria-label={label} className="stack" data-testid="home-notices">
      {notices.map((n) => (
        <div key={n.id} className={`alert ${n.level === "warn" ? "alert-warn" : "alert-info"}`} role="note">
          <strong>{n.title}</strong>
          <p style={{ margin: "0.3rem 0 0" }}>{n.body}</p>
        </div>
      ))}
    </section>
  );
}
