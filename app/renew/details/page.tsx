import { WizardPage } from "../_lib/wizard-page";

export const dynamic = "force-dynamic";
export { generateMetadata } from "../_lib/wizard-page";

/** Step 2: the certificate's details and the handler (经办人) form with captcha. */
export default function Details() {
  return <WizardPage page="details" />;
}
