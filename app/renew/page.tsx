import type { Metadata } from "next";
import { getConfig } from "@/lib/config";
import { assistantPackage } from "@/lib/content/downloads";
import { getT } from "../_lib/i18n";
import { Stepper } from "./_components/Stepper";
import { InsertKey } from "./_components/InsertKey";
import { STEP_PATH } from "./_lib/steps";
import { assistantErrorTexts } from "./_lib/assistant-errors";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.wizard.title };
}

/** Step 1: find the assistant and the key, PIN, 提交 (proof of possession + eligibility on the server). */
export default async function RenewStart({ searchParams }: { searchParams: Promise<{ expired?: string }> }) {
  const { t, locale } = await getT();
  const { expired } = await searchParams;
  const assistantUrl = `http://127.0.0.1:${getConfig().ASSISTANT_PORT}`;
  // the installer itself when it is built, else the download centre (which says why it is not there yet)
  const installer = assistantPackage()?.installer.name;
  const downloadHref = installer ? `/downloads/assistant/${encodeURIComponent(installer)}` : "/downloads";
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
          assistantUrl={assistantUrl}
          downloadHref={downloadHref}
          stepPaths={STEP_PATH}
          errorTexts={assistantErrorTexts(locale)}
        />
      </section>
    </div>
  );
}
