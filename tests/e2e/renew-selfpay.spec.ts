import { expect, test } from "@playwright/test";
import {
  checkRenewed,
  confirmApplication,
  demoHolder,
  download,
  fillHandler,
  HANDLER,
  insertKey,
  payInSandbox,
  snap,
  tokenCertificates,
} from "./renew-helpers";
import { mailText } from "./services-helpers";

test("a self-paying organisation pays 100.00 with Alipay (sandbox) and downloads its certificate", async ({ page }) => {
  const h = demoHolder("org_self_1");
  // links do not prefetch (components/Link.tsx): every page is rendered per request, a prefetch would bring nothing
  const prefetched: string[] = [];
  page.on("request", (r) => void (r.headers()["next-router-prefetch"] && prefetched.push(r.url())));
  // the wizard draws its pages in the browser (Wizard.tsx): after the first, the server renders none of them
  const rendered: string[] = [];
  page.on("request", (r) => void (r.headers()["rsc"] && rendered.push(new URL(r.url()).pathname)));
  const oldDer = tokenCertificates(h)[0];
  await insertKey(page, h);
  await expect(page).toHaveURL(/\/renew\/details$/);
  await expect(page.getByTestId("price")).toHaveText("100.00 元");
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await expect(page.getByTestId("amount")).toHaveText("100.00 元");
  await expect(page).toHaveURL(/\/renew\/review$/);
  // back and forward move between the pages the wizard drew, as between any pages
  await page.goBack();
  await expect(page).toHaveURL(/\/renew\/details$/);
  await expect(page.getByTestId("cert-summary")).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(/\/renew$/);
  await expect(page.getByRole("heading", { level: 1, name: "数字证书更新" })).toBeVisible();
  await page.goForward();
  await page.goForward();
  await expect(page).toHaveURL(/\/renew\/review$/);
  await expect(page.getByTestId("amount")).toHaveText("100.00 元");
  await confirmApplication(page);

  await expect(page).toHaveURL(/\/renew\/pay$/);
  await expect(page.getByTestId("pay-amount")).toHaveText("100.00 元");
  // a page the wizard draws opens at its top (the review's buttons were scrolled to), its heading focused
  await expect(page.getByRole("heading", { level: 1 })).toBeFocused();
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  await expect(page.getByTestId("pay-order-no")).not.toBeEmpty();
  await expect(page.getByTestId("pay-countdown")).toHaveText(/^(2\d|30):\d\d$/);
  // drawn in the browser from the link the portal sent: an SVG of the QR code's modules
  const qr = page.getByRole("img", { name: "支付宝付款二维码" });
  await expect(qr).toBeVisible();
  await expect(qr).toHaveAttribute("src", /^data:image\/svg\+xml;charset=utf-8,%3Csvg.*%3Cpath/);
  await snap(page, "selfpay-4-pay");
  await payInSandbox(page);

  await expect(page).toHaveURL(/\/renew\/invoice$/, { timeout: 20_000 });
  await snap(page, "selfpay-4b-invoice");
  // a reload asks the server for the page at that address, as for any page
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "开票信息" })).toBeVisible();
  await page.getByRole("radio", { name: "单位" }).check();
  await page.getByLabel("发票抬头").fill(h.cn);
  await page.getByLabel("纳税人识别号（统一社会信用代码）").fill("91350100M000100Y44");
  await page.getByLabel("接收发票的电子邮箱").fill("finance@example.cn");
  await page.getByRole("button", { name: "提交开票信息" }).click();
  await expect(page.locator("#ie-taxpayerId")).toHaveText("统一社会信用代码应为 18 位且校验位正确，请核对");
  await snap(page, "selfpay-4c-invoice-error");
  await page.getByLabel("纳税人识别号（统一社会信用代码）").fill("91350100M000100Y43");
  await page.getByRole("button", { name: "提交开票信息" }).click();
  await expect(page).toHaveURL(/\/renew\/issue$/);
  // the install confirmation signs the challenge the 下证 answer brought: the page asks for no other; then the
  // summary for the last page
  const asked: string[] = [];
  page.on("request", (r) => void (r.url().includes("/api/renew/") && asked.push(new URL(r.url()).pathname)));
  await download(page);
  await expect(page.getByRole("heading", { name: "下证成功" })).toBeVisible({ timeout: 30_000 });
  expect(asked.filter((p) => p !== "/api/renew/status")).toEqual([
    "/api/renew/issue-challenge",
    "/api/renew/issue",
    "/api/renew/installed",
    "/api/renew/summary",
  ]);
  await snap(page, "selfpay-6-done");
  expect(prefetched).toEqual([]);
  expect(rendered).toEqual([]);
  const orderNo = (await page.getByTestId("order-no").textContent())!.trim();
  await checkRenewed(page, h, oldDer, (await page.getByTestId("new-serial").textContent())!.trim());

  // later, without the key (it now holds the new certificate): the payment mail's link opens the order's invoice page
  const mail = await mailText(page, `已收到您的付款（订单号 ${orderNo}）`, HANDLER.email);
  const link = /填写或修改开票信息（下证后也可使用此链接）: (\S+)/.exec(mail)?.[1];
  expect(link).toBeTruthy();
  await page.context().clearCookies();
  await page.goto(new URL(link!).pathname);
  await expect(page.getByTestId("invoice-given")).toContainText("91350100M000100Y43");
  await page.getByRole("radio", { name: "单位" }).check();
  await page.getByLabel("发票抬头").fill(`${h.cn}（财务部）`);
  await page.getByLabel("纳税人识别号（统一社会信用代码）").fill("91350100M000100Y43");
  await page.getByLabel("接收发票的电子邮箱").fill("finance@example.cn");
  await page.getByRole("button", { name: "提交开票信息" }).click();
  await expect(page.getByRole("status").filter({ hasText: "开票信息已保存" })).toBeVisible();
  await expect(page.getByTestId("invoice-given")).toContainText(`${h.cn}（财务部）`);
  await expect(page.getByRole("button", { name: "提交开票信息" })).toBeEnabled();
  await snap(page, "selfpay-7-invoice-later");
  await page.goto(`${new URL(link!).pathname.slice(0, -3)}xyz`);
  await expect(page.locator(".alert-err")).toHaveText("该开票链接无效，请使用付款成功邮件中的链接，或致电 96701666。");
});

test("closing the page after payment and coming back resumes the paid order without paying again", async ({
  page,
  browser,
}) => {
  const h = demoHolder("personal_self_1");
  const oldDer = tokenCertificates(h)[0];
  await insertKey(page, h);
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await confirmApplication(page);
  await expect(page.getByTestId("pay-amount")).toHaveText("50.00 元");
  const orderNo = (await page.getByTestId("pay-order-no").textContent())!.trim();
  await payInSandbox(page);
  await page.close();

  // another browser, same key
  const context = await browser.newContext();
  const again = await context.newPage();
  await insertKey(again, h);
  await expect(again).toHaveURL(/\/renew\/(invoice|issue)$/, { timeout: 20_000 });
  await snap(again, "resume-after-payment");
  if (again.url().endsWith("/invoice")) await again.getByRole("button", { name: "跳过，直接下证" }).click();
  await expect(again).toHaveURL(/\/renew\/issue$/);
  await download(again);
  await expect(again.getByRole("heading", { name: "下证成功" })).toBeVisible({ timeout: 30_000 });
  await expect(again.getByText(orderNo)).toBeVisible();
  await checkRenewed(again, h, oldDer, (await again.getByTestId("new-serial").textContent())!.trim());
  await context.close();
});
