import type { Metadata } from "next";
import Link from "@/components/Link";
import { getConfig } from "@/lib/config";
import { assistantPackage } from "@/lib/content/downloads";
import { siteContent } from "@/lib/content/store";
import { getDb } from "@/lib/db";
import { getT } from "../_lib/i18n";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.services.content.downloadsTitle };
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** 下载中心: the certificate assistant, the CA certificates, the CRL and the user guide. */
export default async function DownloadsPage() {
  const { t, locale } = await getT();
  const c = t.services.content;
  const more = (await siteContent(await getDb(), locale)).downloads;
  const pkg = assistantPackage();
  const origin = getConfig().publicOrigin;
  return (
    <div className="container narrow">
      <section className="hero">
        <h1>{c.downloadsTitle}</h1>
        <p>{c.downloadsIntro}</p>
      </section>
      <section className="card" aria-labelledby="assistant-title">
        <h2 id="assistant-title">{c.assistant}</h2>
        <p>{c.assistantDesc}</p>
        {pkg ? (
          <>
            <p>
              <a
                href={`/downloads/assistant/${encodeURIComponent(pkg.installer.name)}`}
                download
                className="btn btn-primary"
                data-testid="assistant-download"
              >
                {c.assistantDownload}
              </a>
            </p>
            <dl className="small" data-testid="assistant-files">
              <dt>{c.assistantVersion}</dt>
              <dd className="mono">{pkg.version}</dd>
              <dt>{c.assistantFile}</dt>
              <dd className="mono">
                {pkg.installer.name} · {size(pkg.installer.bytes)}
              </dd>
              <dt>SHA-256</dt>
              <dd className="mono">{pkg.installer.sha256}</dd>
            </dl>
            <h3>{c.assistantInstall}</h3>
            <ol>
              {c.assistantNotes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ol>
          </>
        ) : (
          <div className="alert alert-warn" role="status">
            {c.assistantMissing}
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="ca-title">
        <h2 id="ca-title">{c.caCerts}</h2>
        <ul className="list-plain">
          <li>
            <a href="/ca/root.cer">{c.rootCert}</a>
          </li>
          <li>
            <a href="/ca/issuing.cer">{c.issuingCert}</a>
          </li>
          <li>
            <a href="/crl/issuing.crl">{c.crl}</a>
            <div className="small muted">
              {c.crlDesc} <span className="mono">{origin}/ocsp</span>
            </div>
          </li>
        </ul>
      </section>
      {more.length > 0 && (
        <section className="card" aria-labelledby="more-title" data-testid="more-downloads">
          <h2 id="more-title">{c.moreDownloads}</h2>
          <ul className="list-plain">
            {more.map((d) => (
              <li key={d.href}>
                <a href={d.href}>{d.title}</a>
                {d.desc && <div className="small muted">{d.desc}</div>}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="card" aria-labelledby="guide-title">
        <h2 id="guide-title">{c.guide}</h2>
        <ul className="list-plain">
          <li>
            <Link href="/guide">{c.guideLink}</Link>
          </li>
          <li>
            <Link href="/faq">{c.faqTitle}</Link>
          </li>
        </ul>
      </section>
    </div>
  );
}
