import type { Metadata } from "next";
import Link from "@/components/Link";
import { notFound } from "next/navigation";
import { IN_PERSON_KINDS, isInPersonKind } from "@/lib/content/services";
import { siteContent } from "@/lib/content/store";
import { getDb } from "@/lib/db";
import { CentreCard } from "@/components/services/CentreCard";
import { PrintButton } from "@/components/services/PrintButton";
import styles from "@/components/services/services.module.css";
import { getT } from "../../_lib/i18n";

type Params = { params: Promise<{ kind: string }> };

export function generateStaticParams() {
  return IN_PERSON_KINDS.map((kind) => ({ kind }));
}

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { kind } = await params;
  const { locale } = await getT();
  return {
    title: isInPersonKind(kind) ? (await siteContent(await getDb(), locale)).inPerson[kind].title : undefined,
  };
}

/** 数字证书申请 / 证书信息变更 / 证书补办: done in person; the page lists what to bring, printable. */
export default async function InPersonPage({ params }: Params) {
  const { kind } = await params;
  if (!isInPersonKind(kind)) notFound();
  const { locale, t } = await getT();
  const content = await siteContent(await getDb(), locale);
  const service = content.inPerson[kind];
  const c = t.services.content;
  return (
    <div className="container narrow">
      <section className="hero">
        <span className="badge">{c.inPersonBadge}</span>
        <h1>{service.title}</h1>
        <p>{service.summary}</p>
      </section>
      <div className="alert alert-warn">{c.onlineNote}</div>
      <section className="card" aria-labelledby="checklist-title">
        <div className="section-title">
          <h2 id="checklist-title">{c.checklist}</h2>
          <PrintButton label={c.print} className={styles.noPrint} />
        </div>
        <h3>{c.when}</h3>
        <ul>
          {service.when.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
        <div className="grid-2">
          <section aria-label={`${c.materials} · ${c.personal}`}>
            <h3>{c.personal}</h3>
            <ul className={styles.checklist}>
              {service.personal.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          </section>
          <section aria-label={`${c.materials} · ${c.organisation}`}>
            <h3>{c.organisation}</h3>
            <ul className={styles.checklist}>
              {service.organisation.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          </section>
        </div>
        {service.notes.map((n) => (
          <p key={n} className="small muted">
            {n}
          </p>
        ))}
      </section>
      <CentreCard centre={content.centre} t={c} />
      <nav className={`card ${styles.noPrint}`} aria-label={c.otherServices}>
        <h2>{c.otherServices}</h2>
        <ul className="list-plain">
          {IN_PERSON_KINDS.filter((k) => k !== kind).map((k) => (
            <li key={k}>
              <Link href={`/in-person/${k}`}>{content.inPerson[k].title}</Link>
            </li>
          ))}
          <li>
            <Link href="/guide">{c.guideTitle}</Link>
          </li>
        </ul>
      </nav>
    </div>
  );
}
