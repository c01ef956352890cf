import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { snapAndCheck } from "./page-check";
import { confirmApplication, demoHolder, fillHandler, insertKey, payInSandbox, type DemoHolder } from "./renew-helpers";

/** Shared steps of the staff console's browser tests. Demo staff come from DATA_DIR/demo-staff.json (the seed). */

export type Role = "admin" | "helpdesk" | "finance" | "auditor";

export function demoStaff(role: Role): { username: string; password: string } {
  const all = JSON.parse(readFileSync(path.join(process.env.E2E_DATA_DIR!, "demo-staff.json"), "utf8")) as {
    username: string;
    password: string;
    role: Role;
  }[];
  const found = all.find((s) => s.role === role);
  if (!found) throw new Error(`no demo ${role} in demo-staff.json`);
  return found;
}

export async function staffSignIn(page: Page, role: Role): Promise<void> {
  const { username, password } = demoStaff(role);
  await page.goto("/staff/login");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码", { exact: true }).fill(password);
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page.getByTestId("signed-in-as")).toContainText(username);
}

/** Screenshot into tests/artifacts and an axe check: no serious or critical violations. */
export async function snapStaff(page: Page, name: string): Promise<void> {
  await snapAndCheck(page, `staff-${name}`);
}

/**
 * A holder renews through the wizard up to the payment page (and pays in the Alipay emulator when asked), as the
 * renewal flow makes orders; returns the holder and the order number shown to them.
 */
export async function holderOrder(
  page: Page,
  key: string,
  opts: { pay: boolean },
): Promise<{ holder: DemoHolder; orderNo: string }> {
  const holder = demoHolder(key);
  await insertKey(page, holder);
  await expect(page).toHaveURL(/\/renew\/details$/);
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await confirmApplication(page);
  await expect(page).toHaveURL(/\/renew\/pay$/);
  const orderNo = (await page.getByTestId("pay-order-no").textContent())!.trim();
  if (opts.pay) {
    await payInSandbox(page);
    await expect(page).toHaveURL(/\/renew\/invoice$/, { timeout: 20_000 });
  }
  return { holder, orderNo };
}
