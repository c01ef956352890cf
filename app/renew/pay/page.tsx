import { getT } from "../../_lib/i18n";
import { getConfig } from "@/lib/config";
import { requireHolder } from "../_lib/holder";
import { STEP_PATH } from "../_lib/steps";
import { Stepper } from "../_components/Stepper";
import { Payment } from "../_components/Payment";
import { PageHeading } from "../_components/PageHeading";

export const dynamic = "force-dynamic";

/** Step 4 (self-paying): Alipay QR code, amount, order number, countdown and live status. */
export default async function Pay() {
  const { t } = await getT();
  const { session, summary } = await requireHolder(["pay"]);
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current="pay" />
      <section className="card">
        <PageHeading>{t.wizard.pay.heading}</PageHeading>
        <p className="muted small">{t.wizard.pay.intro}</p>
        <Payment
          t={t.wizard.pay}
          yuanLabel={t.wizard.details.yuan}
          orderId={summary.order!.id}
          csrf={session.csrfToken}
          sandbox={getConfig().ALIPAY_SANDBOX}
          stepPaths={STEP_PATH}
        />
      </section>
    </div>
  );
}
