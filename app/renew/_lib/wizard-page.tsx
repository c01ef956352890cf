import type { Metadata } from "next";
import { getConfig } from "@/lib/config";
import { CONSENT_DOCUMENTS } from "@/lib/consent";
import { legalText } from "@/lib/content/legal";
import { assistantPackage } from "@/lib/content/downloads";
import { getT } from "../../_lib/i18n";
import { Wizard, type Shown } from "../_components/Wizard";
import { assistantErrorTexts } from "./assistant-errors";
import { requireHolderOn } from "./holder";
import type { WizardPage as Page } from "./steps";

/** Every page of the wizard is titled 数字证书更新 (the wizard draws most of them in the browser, under one title). */
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.wizard.title };
}

/**
 * The page a holder opens (a document, or the App Router's navigation), rendered on the server with everything the
 * wizard needs to draw the next pages in the browser (Wizard.tsx). `page`: the insert-key page, or a page after the
 * sign-in, which shows only at the renewal's step (requireHolderOn redirects otherwise).
 */
export async function WizardPage({ page, expired = false }: { page: Page | "key"; expired?: boolean }) {
  const { t, locale } = await getT();
  let first: Shown;
  if (page === "key") first = { page, summary: null, at: Date.now() };
  else {
    const { session, summary } = await requireHolderOn(page);
    first = { page, summary: { ...summary, csrfToken: session.csrfToken }, at: Date.now() };
  }
  const config = getConfig();
  // the installer itself when it is built, else the download centre (which says why it is not there yet)
  const installer = assistantPackage()?.installer.name;
  return (
    <Wizard
      first={first}
      keyPage={{
        downloadHref: installer ? `/downloads/assistant/${encodeURIComponent(installer)}` : "/downloads",
        expired,
      }}
      locale={locale}
      texts={{
        wizard: t.wizard,
        renewal: t.renewal,
        validation: t.validation,
        operatorName: t.common.operatorName,
        assistantErrors: assistantErrorTexts(locale),
        consentDocs: CONSENT_DOCUMENTS.map((key) => {
          const doc = legalText(key, locale);
          return { key, title: doc.title, version: doc.version, href: `/legal/${key}` };
        }),
      }}
      env={{
        sandbox: config.ALIPAY_SANDBOX,
        assistantUrl: `http://127.0.0.1:${config.ASSISTANT_PORT}`,
        revokeSuperseded: config.REVOKE_SUPERSEDED_ON_RENEWAL,
      }}
    />
  );
}
