import { getT } from "../../_lib/i18n";
import { ID_TYPES } from "@/lib/renewal/handler";
import { requireHolder } from "../_lib/holder";
import { Stepper } from "../_components/Stepper";
import { CertSummary } from "../_components/CertSummary";
import { HandlerForm } from "../_components/HandlerForm";

export const dynamic = "force-dynamic";

/** Step 2: the certificate's details and the handler (经办人) form with captcha. */
export default async function Details() {
  const { t, locale } = await getT();
  const { session, summary } = await requireHolder(["handler", "review"]);
  const order = summary.order?.state === "draft" ? summary.order : null;
  const idTypes = ID_TYPES.map((code) => ({ code, name: t.renewal.idType[code] }));
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current="details" free={summary.priceFen === 0} />
      <section className="card">
        <h1>{t.wizard.details.heading}</h1>
        <CertSummary t={t} locale={locale} summary={summary} />
      </section>
      <section className="card">
        <h2>{t.wizard.details.handlerHeading}</h2>
        <p className="muted small">{t.wizard.details.handlerIntro}</p>
        <HandlerForm
          t={t.wizard.details}
          validation={t.validation}
          idTypes={idTypes}
          csrf={session.csrfToken}
          storageKey={`renew.handler.${summary.certificate.serial}`}
          saved={
            order
              ? {
                  orderId: order.id,
                  name: order.handler.name,
                  idType: order.handler.idType,
                  email: order.handler.email,
                }
              : null
          }
        />
      </section>
    </div>
  );
}
