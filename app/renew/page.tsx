import { WizardPage } from "./_lib/wizard-page";

export const dynamic = "force-dynamic";
export { generateMetadata } from "./_lib/wizard-page";

/** Step 1: find the assistant and the key, PIN, 提交 (proof of possession + eligibility on the server). */
export default async function RenewStart({ searchParams }: { searchParams: Promise<{ expired?: string }> }) {
  const { expired } = await searchParams;
  return <WizardPage page="key" expired={Boolean(expired)} />;
}
