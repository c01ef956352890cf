import { mkdirSync } from "node:fs";
import { expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";

/** Screenshot into tests/artifacts/<name>.png, then an axe check: no serious or critical violations. */
export async function snapAndCheck(page: Page, name: string): Promise<void> {
  mkdirSync("tests/artifacts", { recursive: true });
  // after a client-side navigation Next streams the <title> in a moment later than the page body
  await page.waitForFunction(() => document.title.length > 0);
  await page.screenshot({ path: `tests/artifacts/${name}.png`, fullPage: true });
  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(bad, `axe on ${name}`).toEqual([]);
}
