import { WizardPage } from "../_lib/wizard-page";

export const dynamic = "force-dynamic";
export { generateMetadata } from "../_lib/wizard-page";

/** Step 5 (下证): what will be issued, the PIN again, and the real progress on the key. */
export default function Issue() {
  return <WizardPage page="issue" />;
}
