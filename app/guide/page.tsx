import type { Metadata } from "next";
import Link from "@/components/Link";
import { IN_PERSON_KINDS } from "@/lib/content/services";
import { siteContent } from "@/lib/content/store";
import { getDb } from "@/lib/db";
import { CentreCard } from "@/components/services/CentreCard";
import { getT } from "../_lib/i18n";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.services.content.guideTitle };
}

/** 办理指南: which services are online and which need a visit, with what to prepare. */
export default async function GuidePage() {
  const { locale, t } = await getT();
  const content = await siteContent(await getDb(), locale);
  const c = t.services.content;
  return (
    <div className="container narrow">
      <section className="hero">
        <h1>{c.guideTitle}</h1>
        <p>{c.guideIntro}</p>
      </section>
      <section className="card" aria-labelledby="online-title">
        <h2 id="online-title">{c.onlineServices}</h2>
        <ul className="list-plain">
          {content.guide.online.map((s) => (
            <li key={s.href}>
              <Link href={s.href}>{s.title}</Link>
              <div className="small muted">{s.text}</div>
            </li>
          ))}
        </ul>
        <h3>{content.guide.steps.title}</h3>
        <ol>
          {content.guide.steps.items.map((i) => (
            <li key={i}>{i}</li>
          ))}
        </ol>
      </section>
      <section className="card" aria-labelledby="in-person-title">
        <h2 id="in-person-title">{c.inPersonServices}</h2>
        <ul className="list-plain">
          {IN_PERSON_KINDS.map((k) => (
            <li key={k}>
              <Link href={`/in-person/${k}`}>{content.inPerson[k].title}</Link>
              <div className="small muted">{content.inPerson[k].summary}</div>
            </li>
          ))}
        </ul>
      </section>
      <CentreCard centre={content.centre} t={c} />
      <p>
        <Link href="/faq">{c.faqTitle} →</Link>
      </p>
    </div>
  );
}
