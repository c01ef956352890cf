import { WizardPage } from "../_lib/wizard-page";

export const dynamic = "force-dynamic";
export { generateMetadata } from "../_lib/wizard-page";

/** Step 3: 数字证书申请表 — everything for review, then 确认提交 / 返回修改 / 取消申请. */
export default function Review() {
  return <WizardPage page="review" />;
}
