import { WizardPage } from "../_lib/wizard-page";

export const dynamic = "force-dynamic";

/** 证书名称 as the key shows it: the subject's CN. */
export default function Review() {
  return <WizardPage page="review" />;
}
