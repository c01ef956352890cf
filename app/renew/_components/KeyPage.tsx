"use client";

import { InsertKey } from "./InsertKey";
import { Stepper } from "./Stepper";
import type { PageProps } from "./WizardPages";

/** Step 1: find the assistant and the key, PIN, 提交 (proof of possession + eligibility on the server). */
export function KeyPage({
  texts: t,
  locale,
  env,
  downloadHref,
  expired,
}: Omit<PageProps, "summary" | "at"> & { downloadHref: string; expired: boolean }) {
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current="key" />
      <section className="card">
        <h1>{t.wizard.title}</h1>
        <p className="muted">{t.wizard.intro}</p>
        {expired ? (
          <div className="alert alert-info" role="status">
            {t.wizard.sessionExpired}
          </div>
        ) : null}
        <h2>{t.wizard.key.heading}</h2>
        <InsertKey
          t={t.wizard}
          locale={locale}
          assistantUrl={env.assistantUrl}
          downloadHref={downloadHref}
          errorTexts={t.assistantErrors}
        />
      </section>
    </div>
  );
}
