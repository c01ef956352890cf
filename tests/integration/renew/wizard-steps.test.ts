import { describe, expect, it } from "vitest";
import { pageOfPath, shownPage, stepPathOf, type WizardPage } from "@/app/renew/_lib/steps";
import type { WizardStep } from "@/lib/renewal/flow";

/**
 * The rule both sides follow (app/renew/_lib/steps.ts): the server's pages redirect by it (requireHolderOn) and the
 * wizard in the browser draws by it (Wizard.tsx). Each row: the page asked for, the renewal's step → what is shown.
 */
const PAID = { priceFen: 10_000 };
const FREE = { priceFen: 0 };

function shown(page: WizardPage, step: WizardStep, order: { priceFen: number } | null = PAID) {
  const where = shownPage(page, { step, order });
  return "page" in where ? where.page : where.path;
}

describe("which wizard page a holder sees", () => {
  it("shows a page only at its own steps, and otherwise the step's page", () => {
    const table: [WizardPage, WizardStep, string][] = [
      ["details", "handler", "details"],
      // 返回修改 from the application form
      ["details", "review", "details"],
      ["details", "pay", "pay"],
      ["review", "handler", "details"],
      ["review", "review", "review"],
      ["review", "pay", "pay"],
      ["pay", "review", "review"],
      ["pay", "pay", "pay"],
      ["pay", "invoice", "invoice"],
      ["pay", "issue", "issue"],
      ["issue", "invoice", "invoice"],
      ["issue", "issue", "issue"],
      ["issue", "done", "done"],
      ["done", "issue", "issue"],
      ["done", "done", "done"],
      ["details", "done", "done"],
      // 开票信息 stays open after payment, during and after 下证
      ["invoice", "invoice", "invoice"],
      ["invoice", "issue", "invoice"],
      ["invoice", "done", "invoice"],
      ["invoice", "pay", "pay"],
      // a refund is a page of its own, outside the wizard
      ["details", "refund", "/renew/refund"],
      ["done", "refund", "/renew/refund"],
    ];
    for (const [page, step, expected] of table) expect([page, step, shown(page, step)]).toEqual([page, step, expected]);
  });

  it("has no 开票信息 for a free order", () => {
    expect(shown("invoice", "issue", FREE)).toBe("issue");
    expect(shown("invoice", "done", FREE)).toBe("done");
    expect(shown("invoice", "handler", null)).toBe("details");
  });

  it("knows its pages by their addresses, the query left aside", () => {
    expect(pageOfPath("/renew")).toBe("key");
    expect(pageOfPath("/renew?expired=1")).toBe("key");
    expect(pageOfPath("/renew/details")).toBe("details");
    expect(pageOfPath("/renew/done")).toBe("done");
    expect(pageOfPath("/renew/unavailable?reason=expired")).toBeUndefined();
    expect(pageOfPath("/renew/refund")).toBeUndefined();
    expect(pageOfPath("/renew/details/")).toBeUndefined();
  });

  it("finds the page of a step the API names, and none for a name it does not know", () => {
    expect(stepPathOf("review")).toBe("/renew/review");
    expect(stepPathOf("refund")).toBe("/renew/refund");
    expect(stepPathOf("toString")).toBeUndefined();
    expect(stepPathOf("")).toBeUndefined();
  });
});
