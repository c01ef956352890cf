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

/** The page of a step as the API's answers name it (a string there); undefined for a name it does not know. */
export function stepPathOf(step: string): string | undefined {
  return Object.hasOwn(STEP_PATH, step) ? STEP_PATH[step as WizardStep] : undefined;
}

/** The wizard's pages after the sign-in: the browser changes from one to the next itself (Wizard.tsx). */
export type WizardPage = "details" | "review" | "pay" | "invoice" | "issue" | "done";

export const PAGE_PATH: Record<WizardPage | "key", string> = {
  key: "/renew",
  details: "/renew/details",
  review: "/renew/review",
  pay: "/renew/pay",
  invoice: "/renew/invoice",
  issue: "/renew/issue",
  done: "/renew/done",
};

/** The steps of the renewal at which each page may be shown (开票信息 also once issued, 返回修改 from the review). */
const PAGE_STEPS: Record<WizardPage, readonly WizardStep[]> = {
  details: ["handler", "review"],
  review: ["review"],
  pay: ["pay"],
  invoice: ["invoice", "issue", "done"],
  issue: ["issue"],
  done: ["done"],
};

/** The wizard page at `path` (its query left aside), "key" for the insert-key page /renew. */
export function pageOfPath(path: string): WizardPage | "key" | undefined {
  const bare = path.split("?")[0];
  return (Object.keys(PAGE_PATH) as (keyof typeof PAGE_PATH)[]).find((p) => PAGE_PATH[p] === bare);
}

/**
 * What the holder sees when asking for `wanted` with the renewal at `step`: that page when the step allows it,
 * otherwise the step's own page, or for a step outside these pages (a refund) its path. A free order has no
 * 开票信息. The server's pages redirect by it and the wizard in the browser follows it, so both agree.
 */
export function shownPage(
  wanted: WizardPage,
  at: { step: WizardStep; order: { priceFen: number } | null },
): { page: WizardPage } | { path: string } {
  const page =
    wanted === "invoice" && at.order?.priceFen === 0 && PAGE_STEPS.invoice.includes(at.step) ? "issue" : wanted;
  if (PAGE_STEPS[page].includes(at.step)) return { page };
  const own = pageOfPath(STEP_PATH[at.step]);
  return own && own !== "key" ? { page: own } : { path: STEP_PATH[at.step] };
}
