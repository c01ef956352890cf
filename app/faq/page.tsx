import type { Metadata } from "next";
import { siteContent } from "@/lib/content/store";
import { getDb } from "@/lib/db";
import { FaqList } from "@/components/services/FaqList";
import { getT } from "../_lib/i18n";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.services.content.faqTitle };
}

/** 常见问题 with a search box. */
export default async function FaqPage() {
  const { locale, t } = await getT();
  const c = t.services.content;
  return (
    <div className="container narrow">
      <section className="hero">
        <h1>{c.faqTitle}</h1>
        <p>{t.common.hotline}</p>
      </section>
      <section className="card">
        <FaqList entries={(await siteContent(await getDb(), locale)).faq} t={c} />
      </section>
    </div>
  );
}
