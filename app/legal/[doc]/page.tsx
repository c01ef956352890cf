import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/db";
import { CONSENT_DOCUMENTS, type ConsentDocument } from "@/lib/consent";
import { legalText } from "@/lib/content/legal";
import { handlerRetentionDays } from "@/lib/settings";
import { fill } from "@/lib/messages/format";
import { getT } from "../../_lib/i18n";

export const dynamic = "force-dynamic";

function docOf(value: string): ConsentDocument | null {
  return (CONSENT_DOCUMENTS as string[]).includes(value) ? (value as ConsentDocument) : null;
}

export async function generateMetadata({ params }: { params: Promise<{ doc: string }> }): Promise<Metadata> {
  const doc = docOf((await params).doc);
  return doc ? { title: legalText(doc, (await getT()).locale).title } : {};
}

/** 数字证书订户协议 and 个人信息保护声明: what the holder accepts before 确认提交, with its version. */
export default async function LegalPage({ params }: { params: Promise<{ doc: string }> }) {
  const doc = docOf((await params).doc);
  if (!doc) notFound();
  const { t, locale } = await getT();
  const text = legalText(doc, locale);
  const retentionDays = await handlerRetentionDays(await getDb());
  return (
    <div className="container narrow">
      <article className="card" data-testid="legal-text">
        <h1>{text.title}</h1>
        <p className="muted small" data-testid="legal-version">
          {fill(t.wizard.review.legalVersion, { version: text.version })}
        </p>
        {text.body.map((p) => (
          <p key={p}>{fill(p, { retentionDays })}</p>
        ))}
      </article>
    </div>
  );
}
