import type { WizardStep } from "@/lib/renewal/flow";

/** The page of each wizard step. */
export const STEP_PATH: Record<WizardStep, string> = {
  handler: "/renew/details",
  review: "/renew/review",
  pay: "/renew/pay",
  invoice: "/renew/invoice",
  issue: "/renew/issue",
  done: "/renew/done",
  refund: "/renew/refund",
};
