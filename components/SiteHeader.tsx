import Link from "@/components/Link";
import type { Messages } from "@/lib/messages";
import type { Locale } from "@/lib/errors";
import type { ServicesContent } from "@/lib/content/services";

export function SiteHeader({ t, locale, centre }: { t: Messages; locale: Locale; centre: ServicesContent["centre"] }) {
  const other = locale === "en" ? "zh-CN" : "en";
  return (
    <header className="site-header">
      <div className="container">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            CA
          </span>
          <span>
            <span className="brand-name">{t.common.appName}</span>
            <span className="brand-sub">{t.common.caName}</span>
          </span>
        </Link>
        <nav className="site-nav" aria-label="main">
          <Link href="/">{t.common.home}</Link>
          <Link href="/faq">{t.common.faq}</Link>
          <Link href="/downloads">{t.common.downloads}</Link>
          <Link href="/org">{t.common.org}</Link>
          <a href={`/lang/${other}`} lang={other} hrefLang={other}>
            {t.common.language}
          </a>
          <span className="hotline-pill">
            {t.common.hotlineLabel} {centre.hotline}
          </span>
        </nav>
      </div>
    </header>
  );
}
