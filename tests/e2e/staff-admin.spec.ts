import { expect, test } from "@playwright/test";
import { snapStaff, staffSignIn } from "./staff-helpers";
import { demoHolder } from "./renew-helpers";

/** "YYYY-MM-DDTHH:mm" in Beijing time, `days` from now at midnight. */
function beijingMidnight(days: number): string {
  const d = new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000);
  return `${d.toISOString().slice(0, 10)}T00:00`;
}

test("admin schedules a new fee tier; the preview uses it from its date on", async ({ page }) => {
  await staffSignIn(page, "admin");
  await page.goto("/staff/fee-tiers");
  const form = page.getByTestId("fee-tier-form");
  await form.getByLabel("证书类型").selectOption("organisation");
  await form.getByLabel("付费方式").selectOption("self");
  await form.getByLabel("年费（元）").fill("120.00");
  await form.getByLabel("生效时间（北京时间）").fill(beijingMidnight(2));
  await form.getByLabel("备注").fill("e2e 调价");
  await form.getByRole("button", { name: "保存" }).click();
  await expect(page.getByTestId("fee-tiers")).toContainText("120.00");
  await expect(page.getByTestId("fee-tiers")).toContainText("待生效");

  // a second tier overlapping the scheduled one is refused
  await form.getByLabel("证书类型").selectOption("organisation");
  await form.getByLabel("年费（元）").fill("130.00");
  await form.getByLabel("生效时间（北京时间）").fill(beijingMidnight(3));
  await form.getByLabel("在新标准生效时结束当前的长期标准").uncheck();
  await form.getByRole("button", { name: "保存" }).click();
  await expect(form.getByRole("alert")).toBeVisible();

  const serial = demoHolder("org_self_2").serial;
  await page.goto(`/staff/fee-tiers?serial=${serial}&at=${encodeURIComponent(beijingMidnight(1))}`);
  await expect(page.getByTestId("fee-preview")).toContainText("100.00");
  await page.goto(`/staff/fee-tiers?serial=${serial}&at=${encodeURIComponent(beijingMidnight(2))}`);
  await expect(page.getByTestId("fee-preview")).toContainText("120.00");
  await snapStaff(page, "5-fee-tiers");
});

test("admin sees the dashboard charts and verifies the audit chain", async ({ page }) => {
  await staffSignIn(page, "admin");
  await page.goto("/staff/dashboard");
  for (const id of ["chart-renewals", "chart-revenue", "chart-expiring", "chart-states"])
    await expect(page.getByTestId(id).locator("svg").first()).toBeVisible();
  await snapStaff(page, "6-dashboard");

  await page.goto("/staff/audit");
  await expect(page.getByTestId("audit-rows")).toContainText("staff.signed_in");
  await page.getByRole("link", { name: "校验哈希链" }).click();
  await expect(page.getByTestId("chain-check")).toContainText("哈希链完整");
  await snapStaff(page, "7-audit");
  const csv = await page.request.get("/api/staff/audit/export?action=staff.");
  expect(csv.headers()["content-type"]).toContain("text/csv");
  expect(await csv.text()).toContain("staff.signed_in");
  // a UTF-8 byte order mark first, so Excel on Chinese Windows does not read the file as GBK
  expect([...(await csv.body()).subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
});

test("sign-in refuses a wrong password with a clear message", async ({ page }) => {
  await page.goto("/staff/login");
  await page.getByLabel("用户名").fill("admin");
  await page.getByLabel("密码", { exact: true }).fill("wrong-password");
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page.getByTestId("staff-login").getByRole("alert")).toHaveText("用户名或密码不正确。");
  await snapStaff(page, "0-login-error");
});

test("admin creates a staff account, which can then sign in; settings show their values", async ({ page, browser }) => {
  await staffSignIn(page, "admin");
  await page.goto("/staff/users");
  // by id: every row also has a role menu labelled 角色
  await page.locator("#username").fill("e2e.agent");
  await page.locator("#displayName").fill("E2E 客服");
  await page.locator("#password").fill("Strong-Enough-2026?");
  await page.locator("#role").selectOption("helpdesk");
  await page.getByRole("button", { name: "创建" }).click();
  await expect(page.getByRole("row", { name: /e2e\.agent/ })).toContainText("客服");
  await snapStaff(page, "8-users");

  const other = await (await browser.newContext()).newPage();
  await other.goto("/staff/login");
  await other.getByLabel("用户名").fill("e2e.agent");
  await other.getByLabel("密码", { exact: true }).fill("Strong-Enough-2026?");
  await other.getByRole("button", { name: "登录" }).click();
  await expect(other.getByTestId("signed-in-as")).toContainText("E2E 客服");

  await page.goto("/staff/settings");
  await expect(page.getByTestId("setting-payment.windowMinutes").getByRole("textbox")).toHaveValue(/^\d+$/);
  await snapStaff(page, "9-settings");
});
