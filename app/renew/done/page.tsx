import { WizardPage } from "../_lib/wizard-page";

export const dynamic = "force-dynamic";
export { generateMetadata } from "../_lib/wizard-page";

/** 下证成功 with the new validity. */
export default function Done() {
  return <WizardPage page="done" />;
}
