import { expect, test, type Page } from "@playwright/test";
import {
  PIN,
  checkRenewed,
  confirmApplication,
  demoHolder,
  download,
  fillHandler,
  insertKey,
  payInSandbox,
  tokenCertificates,
} from "./renew-helpers";
import { snapAndCheck } from "./page-check";

/**
 * 大客户专区 end to end: the demo organisation signs in with its organisation certificate (virtual token, through the
 * certificate assistant), pays for two of its holders in one Alipay sandbox trade, and one of them then renews to
 * 下证成功 with no pay step. Uses org_console_1, org_member_1 and org_member_2 (nobody else does).
 */

async function signIn(page: Page) {
  const console = demoHolder("org_console_1");
  await page.goto("/org");
  await expect(page.getByRole("heading", { name: "使用单位证书登录" })).toBeVisible();
  await page.getByRole("button", { name: console.cn, exact: true }).click();
  await page.getByLabel("证书密码").fill(PIN);
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page.getByTestId("org-name")).toContainText(console.cn);
}

test("an organisation pays for a batch of two in the sandbox; a holder then renews without paying", async ({
  page,
}) => {
  const a = demoHolder("org_member_1");
  const b = demoHolder("org_member_2");
  const oldDer = tokenCertificates(a)[0];

  await page.goto("/");
  await page.getByRole("navigation", { name: "main" }).getByRole("link", { name: "大客户专区" }).click();
  await expect(page).toHaveURL(/\/org$/);
  await snapAndCheck(page, "org-1-sign-in");
  await signIn(page);

  const table = page.getByTestId("org-holders");
  await expect(table.locator(`tr[data-serial="${a.serial}"]`)).toContainText("可在线更新");
  await expect(table.locator(`tr[data-serial="${demoHolder("org_member_later").serial}"]`)).toContainText(
    "未到更新时间",
  );
  await page.getByRole("checkbox", { name: `选择 ${a.cn}` }).check();
  await page.getByRole("checkbox", { name: `选择 ${b.cn}` }).check();
  await expect(page.getByTestId("org-selected")).toHaveText("已选 2 人，合计 100.00 元");
  await snapAndCheck(page, "org-2-console");
  await page.setViewportSize({ width: 390, height: 844 });
  await snapAndCheck(page, "org-2-console-phone");
  await page.setViewportSize({ width: 1280, height: 860 });

  // the expiry report: a CSV with a UTF-8 BOM that names the holders
  const report = await page.request.get((await page.getByTestId("org-report").getAttribute("href"))!);
  expect(report.headers()["content-type"]).toContain("text/csv");
  const csv = await report.body();
  expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(csv.toString("utf8")).toContain(a.cn);

  await page.getByRole("button", { name: "统一支付所选" }).click();
  await expect(page).toHaveURL(/\/org\/pay\/P\d{8}[0-9A-Z]{10}$/);
  await expect(page.getByTestId("org-pay-amount")).toHaveText("100.00 元");
  await snapAndCheck(page, "org-3-pay");
  await payInSandbox(page);
  await expect(page.getByTestId("org-batch-paid")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("heading", { name: "开票信息（整批一张发票）" })).toBeVisible();
  await snapAndCheck(page, "org-4-paid");
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await snapAndCheck(page, "org-4-paid-phone");
  await page.setViewportSize({ width: 1280, height: 860 });

  // the holder renews through the normal wizard: 无需支付, no pay step, 下证成功
  await insertKey(page, a);
  await expect(page).toHaveURL(/\/renew\/details$/);
  await expect(page.getByTestId("price")).toHaveText("无需支付");
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await expect(page).toHaveURL(/\/renew\/review$/);
  await confirmApplication(page);
  await expect(page).toHaveURL(/\/renew\/issue$/);
  await download(page);
  await expect(page).toHaveURL(/\/renew\/done$/, { timeout: 30_000 });
  await expect(page.getByRole("heading", { name: "下证成功" })).toBeVisible();
  const newSerial = (await page.getByTestId("new-serial").textContent())!.trim();
  await checkRenewed(page, a, oldDer, newSerial);
});
