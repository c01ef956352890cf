import { WizardPage } from "../_lib/wizard-page";

export const dynamic = "force-dynamic";
export { generateMetadata } from "../_lib/wizard-page";

/** After payment: 开票信息, optional and skippable; also reachable later while the order is being finished. */
export default function Invoice() {
  return <WizardPage page="invoice" />;
}
