import { expect, test, type Page } from "@playwright/test";
import { formatDateTime } from "../../lib/messages/format";
import {
  checkRenewed,
  confirmApplication,
  demoHolder,
  download,
  fillHandler,
  HANDLER,
  insertKey,
  PIN,
  scheduleUnplug,
  snap,
  tokenCertificates,
} from "./renew-helpers";
import { mailText } from "./services-helpers";
import { staffSignIn } from "./staff-helpers";

const DAY = 24 * 60 * 60 * 1000;
const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** The mark beside a certificate in the key list. */
function mark(page: Page, cn: string) {
  return page.locator("label", { hasText: cn }).locator("[data-renewability]");
}

/** Every row label of the review tables sits on one line (at 390 px they once wrapped one character per line). */
async function labelLines(page: Page): Promise<number[]> {
  return page.locator("table th").evaluateAll((ths) =>
    ths.map((th) => {
      const range = document.createRange();
      range.selectNodeContents(th);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    }),
  );
}

const leaveIsGuarded = (page: Page) =>
  page.evaluate(() => {
    const e = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  });

test("the key list marks each certificate: renewable now, too early from its opening date, expired, revoked", async ({
  page,
}) => {
  const early = demoHolder("too_early");
  await page.goto("/renew");
  await expect(page.getByTestId("cert-name")).toBeVisible();
  await expect(mark(page, demoHolder("personal_self_3").cn)).toHaveText("可在线更新");
  const opens = formatDateTime(new Date(Date.parse(early.notAfter) - 30 * DAY));
  await expect(mark(page, early.cn)).toHaveText(`未到更新时间：${opens} 起可办理`);
  await expect(mark(page, demoHolder("expired").cn)).toHaveText("已过期，须到服务中心现场办理");
  await expect(mark(page, demoHolder("revoked").cn)).toHaveText("已注销，不能更新");
  await page.getByRole("radio", { name: new RegExp(early.cn) }).check();
  await expect(page.getByTestId("cert-renewability")).toContainText("未到更新时间");
  await snap(page, "reach-key-list");
});

test("on a phone: the guide's labels, the text captcha, consent, the pay page, 开票信息, 下证 told truthfully", async ({
  page,
  browser,
}) => {
  const h = demoHolder("personal_self_3");
  const oldDer = tokenCertificates(h)[0];
  await page.setViewportSize({ width: 390, height: 844 });
  await insertKey(page, h);
  await expect(page).toHaveURL(/\/renew\/details$/);

  // 经办人信息 with the guide's labels; another ID type keeps the neutral label
  const summary = page.getByTestId("cert-summary");
  await expect(summary).toContainText("证书有效期");
  await expect(summary).toContainText("证书价格");
  await expect(page.getByLabel("经办人身份证号")).toBeVisible();
  await page.getByLabel("经办人证件类型").selectOption("hk_macao_permit");
  await expect(page.getByLabel("经办人证件号码")).toBeVisible();
  await page.getByLabel("经办人证件类型").selectOption("resident_id");
  await expect(page.getByLabel("经办人手机")).toBeVisible();
  await expect(page.getByLabel("经办人电子邮件")).toBeVisible();

  // the captcha's text question: a wrong answer is refused and a new question comes, the right one passes
  await fillHandler(page);
  // the handler chooses SMS as well as mail
  await page.getByLabel("同时发送短信通知（付款回执、到期提醒）").check();
  await page.getByRole("button", { name: "看不清或使用读屏软件？改用文字题" }).click();
  const question = page.getByTestId("captcha-question");
  await expect(question).toHaveText(/^.+等于几？$/);
  const first = await question.getAttribute("data-captcha-id");
  await page.getByLabel("验证码", { exact: true }).fill("99");
  await page.getByRole("button", { name: "下一步" }).click();
  await expect(page.locator('[data-field-error="captcha"]')).toHaveText("验证码不正确");
  // a new question (a new captcha row: the words may come out the same by chance)
  await expect(question).not.toHaveAttribute("data-captcha-id", first!);
  await expect(question).toHaveText(/^.+等于几？$/);
  const [, a, op, b] = /^(.)(加|减)(.)/.exec((await question.textContent())!)!;
  const zh = "零一二三四五六七八九";
  const answer = op === "加" ? zh.indexOf(a) + zh.indexOf(b) : zh.indexOf(a) - zh.indexOf(b);
  await snap(page, "reach-text-captcha");
  await page.getByLabel("验证码", { exact: true }).fill(String(answer));
  await page.getByRole("button", { name: "下一步" }).click();

  // 数字证书申请表: the guide's heading block, labels, no overflow, one line per label
  await expect(page).toHaveURL(/\/renew\/review$/);
  await expect(page.getByTestId("operator-name")).toHaveText("山东省数字证书认证管理有限公司");
  await expect(page.getByTestId("review-tip")).toContainText("温馨提示");
  await expect(page.getByTestId("review-cert-name")).toHaveText(h.cn);
  for (const label of ["证书名称", "证书有效期", "证书价格", "经办人身份证号", "经办人手机", "经办人电子邮件"])
    await expect(page.getByRole("rowheader", { name: label, exact: true })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(new Set(await labelLines(page))).toEqual(new Set([1]));
  await snap(page, "reach-phone-review");

  // consent is enforced by the server: without the ticks 确认提交 is refused with the reason
  await page.getByRole("button", { name: "确认提交" }).click();
  await expect(page.locator("#main").getByRole("alert")).toContainText(
    "请先阅读并勾选同意《数字证书订户协议》和《个人信息保护声明》",
  );
  await expect(page).toHaveURL(/\/renew\/review$/);
  const privacyHref = await page.getByRole("link", { name: "阅读《个人信息保护声明》" }).getAttribute("href");
  await confirmApplication(page);

  // the pay page opens at its heading, and offers Alipay itself to someone already on the phone
  await expect(page).toHaveURL(/\/renew\/pay$/);
  await expect(page.getByRole("heading", { name: "支付宝扫码支付" })).toBeInViewport();
  const orderNo = (await page.getByTestId("pay-order-no").textContent())!.trim();
  const appLink = page.getByTestId("alipay-app-link");
  await expect(appLink).toHaveText("在支付宝中打开并付款");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await snap(page, "reach-phone-pay");
  const [alipay] = await Promise.all([page.waitForEvent("popup"), appLink.click()]);
  await alipay.getByRole("button", { name: /确认付款|付款/ }).click();
  await expect(alipay.getByTestId("trade-status")).toBeVisible();
  await alipay.close();

  // 开票信息: 发票抬头 already filled in, and the step bar shows 支付 done
  await expect(page).toHaveURL(/\/renew\/invoice$/, { timeout: 20_000 });
  await expect(page.getByLabel("发票抬头")).toHaveValue(h.cn);
  await expect(page.getByLabel("接收发票的电子邮箱")).toHaveValue(HANDLER.email);
  await expect(page.locator('[data-testid="stepper"] li[data-step="pay"]')).toHaveClass(/done/);
  await expect(page.locator('[data-testid="stepper"] li[aria-current]')).toHaveCount(0);
  await page.getByRole("button", { name: "跳过，直接下证" }).click();

  // 下证 with a wrong PIN: only what is true (PIN wrong, tries left, nothing issued)
  await expect(page).toHaveURL(/\/renew\/issue$/);
  await page.setViewportSize({ width: 1280, height: 860 });
  const facts = page.getByTestId("issue-facts");
  for (const label of ["开始时间", "结束时间", "证书DN"]) await expect(facts).toContainText(label);
  await expect(page.getByTestId("new-not-after")).toHaveText(DATE_TIME);
  await download(page, "654321");
  const error = page.getByTestId("issue-error");
  await expect(error).toContainText(/证书密码错误，还可尝试 \d 次/);
  await expect(error).toContainText("新证书尚未签发");
  await expect(error).not.toContainText("新证书已在服务器上保存");
  await snap(page, "reach-issue-wrong-pin");

  // mid-下证 the page asks before it is left; the key "pulled" while writing leaves an issued certificate
  scheduleUnplug(h, "install:before-write");
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  await page.route("**/api/renew/issue", async (route) => {
    await held;
    await route.continue();
  });
  await download(page, PIN);
  await expect(page.getByTestId("issue-progress")).toBeVisible();
  await expect.poll(() => leaveIsGuarded(page)).toBe(true);
  release();
  await expect(error).toContainText("新证书已在服务器上保存");
  await page.unroute("**/api/renew/issue");
  expect(await leaveIsGuarded(page)).toBe(false);

  // a reload shows the real state: issued, not yet on the key
  await page.reload();
  await expect(page.getByTestId("issue-pending")).toContainText("新证书已签发（序列号");
  await expect(page.getByRole("button", { name: "重新下证" })).toBeVisible();
  await snap(page, "reach-issue-pending");
  await download(page, PIN);

  // 下证成功: unplug, what became of the old certificate, the mail, step 5 done
  await expect(page.getByRole("heading", { name: "下证成功" })).toBeVisible({ timeout: 30_000 });
  const notes = page.getByTestId("done-notes");
  await expect(notes).toContainText("现在可以拔出 U-Key 了。");
  await expect(notes).toContainText(`原证书（序列号 ${h.serial}）已从 U-Key 中删除，由新证书替代`);
  await expect(notes).toContainText(`办理结果已发送至经办人邮箱 ${HANDLER.email}`);
  await expect(page.locator('[data-testid="stepper"] li.done')).toHaveCount(5);
  await expect(page.getByTestId("new-validity")).toHaveText(
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} 至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/,
  );
  await snap(page, "reach-done");
  expect((await page.getByTestId("order-no").textContent())!.trim()).toBe(orderNo);
  await checkRenewed(page, h, oldDer, (await page.getByTestId("new-serial").textContent())!.trim());
  expect(await mailText(page, `新证书已签发（订单号 ${orderNo}）`, HANDLER.email)).toContain(orderNo);

  // the payment receipt also went by SMS (through the SDK to the local SMS sandbox)
  await expect(async () => {
    await page.goto("/dev/sms");
    await expect(page.locator(`[data-phone="${HANDLER.mobile}"]`).first()).toContainText(
      `【山东CA】已收到订单${orderNo}的付款50.00元，请回到页面继续下证。`,
      { timeout: 1_000 },
    );
  }).toPass({ timeout: 30_000 });

  // the helpdesk sees the text message on the order, as it sees the mails
  const staff = await (await browser.newContext()).newPage();
  await staffSignIn(staff, "helpdesk");
  await staff.goto("/staff/orders");
  await staff.getByLabel("用户名称（可输入开头部分）").fill(h.cn);
  await staff.getByRole("button", { name: "查询" }).click();
  await staff.getByRole("link", { name: orderNo }).click();
  await expect(staff.getByTestId("order-sms")).toContainText("payment_received · 已发送");
  await staff.context().close();

  // the privacy notice names its version and the retention period
  await page.goto(privacyHref!);
  await expect(page.getByRole("heading", { name: "个人信息保护声明" })).toBeVisible();
  await expect(page.getByTestId("legal-version")).toHaveText(/^版本：\d{4}-\d{2}-\d{2}$/);
  await expect(page.getByTestId("legal-text")).toContainText("订单办结（完成、取消、关闭或退款）后保存 1095 天");
});

test("page titles follow the language: English home and renewal, Chinese staff sign-in", async ({ page, browser }) => {
  await page.goto("/staff/login");
  await expect(page).toHaveTitle("工作人员登录 · CertRenew");
  await page.goto("/");
  await expect(page).toHaveTitle("数字证书在线服务 · CertRenew");
  await page.goto("/lang/en");
  await page.goto("/");
  await expect(page).toHaveTitle("Certificate Online Services · CertRenew");
  await page.goto("/renew");
  await expect(page).toHaveTitle("Certificate renewal · CertRenew");
  await page.goto("/staff/login");
  await expect(page).toHaveTitle("Staff sign-in · CertRenew");
  const zh = await browser.newContext();
  const again = await zh.newPage();
  await again.goto(new URL("/renew", page.url()).toString());
  await expect(again).toHaveTitle("数字证书更新 · CertRenew");
  await zh.close();
});
