import type { Messages } from "@/lib/messages";

export function SiteFooter({ t }: { t: Messages }) {
  return (
    <footer className="site-footer">
      <div className="container">
        <div>{t.common.footer}</div>
        <div className="small">
          {t.common.serviceCentre} · {t.common.openingHours}
        </div>
      </div>
    </footer>
  );
}
