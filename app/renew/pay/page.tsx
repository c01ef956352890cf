import { WizardPage } from "../_lib/wizard-page";

export const dynamic = "force-dynamic";
export { generateMetadata } from "../_lib/wizard-page";

/** Step 4 (self-paying): Alipay QR code, amount, order number, countdown and live status. */
export default function Pay() {
  return <WizardPage page="pay" />;
}
