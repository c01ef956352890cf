import type { Messages } from "@/lib/messages";
import type { ServicesContent } from "@/lib/content/services";

/** The page footer: the service centre as the operator edits it (/staff/content), not a built-in text. */
export function SiteFooter({ t, centre }: { t: Messages; centre: ServicesContent["centre"] }) {
  return (
    <footer className="site-footer">
      <div className="container">
        <div>
          {t.common.footer} · {t.common.hotlineLabel} {centre.hotline}
        </div>
        <div className="small" data-testid="footer-centre">
          {centre.name} · {centre.address} · {centre.hours}
        </div>
      </div>
    </footer>
  );
}
