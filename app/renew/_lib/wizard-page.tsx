import { getConfig } from "@/lib/config";
import { CONSENT_DOCUMENTS } from "@/lib/consent";
import { legalText } from "@/lib/content/legal";
import { getT } from "../../_lib/i18n";
import { Wizard } from "../_components/Wizard";
import { assistantErrorTexts } from "./assistant-errors";
import { requireHolderOn } from "./holder";
import type { WizardPage as Page } from "./steps";

/**
 * A wizard page opened as a document (or by the App Router): the page the renewal's step allows, rendered on the
 * server with everything the wizard needs to draw its next pages in the browser (Wizard.tsx).
 */
export async function WizardPage({ page }: { page: Page }) {
  const { t, locale } = await getT();
  const { session, summary } = await requireHolderOn(page);
  const config = getConfig();
  return (
    <Wizard
      page={page}
      summary={{ ...summary, csrfToken: session.csrfToken }}
      at={Date.now()}
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
