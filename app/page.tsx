import Link from "@/components/Link";
import { getT } from "./_lib/i18n";
import { getDb } from "@/lib/db";
import { systemClock } from "@/lib/clock";
import { currentNotices, siteContent } from "@/lib/content/store";
import { NoticeList } from "@/components/content/NoticeList";

export const dynamic = "force-dynamic";

type TileKey = "renew" | "status" | "unlock" | "revoke" | "guide" | "apply" | "change" | "replace";

/** The eight service tiles of the seed guide; renewal first, online services before in-person ones. */
const TILES: { key: TileKey; href: string; online: boolean }[] = [
  { key: "renew", href: "/renew", online: true },
  { key: "status", href: "/status", online: true },
  { key: "unlock", href: "/unlock", online: true },
  { key: "revoke", href: "/revoke", online: true },
  { key: "guide", href: "/guide", online: false },
  { key: "apply", href: "/in-person/apply", online: false },
  { key: "change", href: "/in-person/change", online: false },
  { key: "replace", href: "/in-person/replace", online: false },
];

export default async function HomePage() {
  const { t, locale } = await getT();
  const notices = currentNotices((await siteContent(await getDb(), locale)).notices, systemClock.now());
  return (
    <div className="container">
      <section className="hero">
        <h1>{t.home.title}</h1>
        <p>{t.home.intro}</p>
      </section>
      <NoticeList notices={notices} label={t.home.notices} />
      <nav className="tiles" aria-label={t.home.title}>
        {TILES.map(({ key, href, online }) => (
          <Link key={key} href={href} className={`tile${key === "renew" ? " tile-primary" : ""}`} data-tile={key}>
            <span className="tile-title">{t.home.tiles[key].title}</span>
            <span className="tile-desc">{t.home.tiles[key].desc}</span>
            <span className={`badge${online ? "" : " badge-muted"}`}>{online ? t.home.online : t.home.inPerson}</span>
          </Link>
        ))}
      </nav>
      <div className="section two-col">
        <section className="card">
          <div className="section-title">
            <h2>{t.home.faqTitle}</h2>
            <Link href="/faq" className="small">
              {t.common.faq} →
            </Link>
          </div>
          <ul className="list-plain">
            {t.home.faqPreview.map((q) => (
              <li key={q}>
                <Link href="/faq">{q}</Link>
              </li>
            ))}
          </ul>
        </section>
        <section className="card">
          <h2>{t.home.downloadsTitle}</h2>
          <p className="muted small">{t.home.downloadsIntro}</p>
          <ul className="list-plain">
            <li>
              <Link href="/downloads">{t.home.assistantDownload}</Link>
            </li>
            <li>
              <a href="/ca/root.cer">{t.home.rootCert}</a>
            </li>
            <li>
              <a href="/ca/issuing.cer">{t.home.issuingCert}</a>
            </li>
            <li>
              <a href="/crl/issuing.crl">{t.home.crl}</a>
            </li>
          </ul>
          <p className="small">{t.common.hotline}</p>
        </section>
      </div>
    </div>
  );
}
