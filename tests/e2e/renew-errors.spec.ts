import { expect, test } from "@playwright/test";
import { HANDLER, PIN, demoHolder, fillHandler, insertKey, snap } from "./renew-helpers";

test("a wrong PIN is refused with the tries left, then the right PIN signs in", async ({ page }) => {
  const h = demoHolder("personal_unified_2");
  await insertKey(page, h, "123456");
  await expect(page.locator("#pin-error")).toContainText(/证书密码错误，还可尝试 \d 次/);
  await expect(page).toHaveURL(/\/renew$/);
  await snap(page, "wrong-pin");
  await page.getByLabel("证书密码").fill(PIN);
  await page.getByRole("button", { name: "提交" }).click();
  await expect(page).toHaveURL(/\/renew\/details$/);
});

test("a wrong captcha is refused inline and a new image is shown", async ({ page }) => {
  const h = demoHolder("personal_unified_3");
  await insertKey(page, h);
  await expect(page).toHaveURL(/\/renew\/details$/);
  const first = await page.locator("img[data-captcha-id]").getAttribute("data-captcha-id");
  await fillHandler(page, {}, "abcd");
  await page.getByRole("button", { name: "下一步" }).click();
  await expect(page.locator('[data-field-error="captcha"]')).toHaveText("验证码不正确");
  await expect(page.locator("img[data-captcha-id]")).not.toHaveAttribute("data-captcha-id", first!);
  await expect(page).toHaveURL(/\/renew\/details$/);
  await snap(page, "wrong-captcha");
});

test("field errors are shown next to each field", async ({ page }) => {
  await insertKey(page, demoHolder("personal_unified_3"));
  await expect(page).toHaveURL(/\/renew\/(details|review)$/);
  if (page.url().endsWith("/review")) await page.getByRole("button", { name: "返回修改" }).click();
  await fillHandler(page, { idNumber: "110105194912310021", mobile: "12345", email: "not-mail" });
  await page.getByRole("button", { name: "下一步" }).click();
  await expect(page.locator('[data-field-error="idNumber"]')).toHaveText("证件号码校验位不正确，请核对");
  await expect(page.locator('[data-field-error="mobile"]')).toHaveText("请输入 11 位中国大陆手机号码");
  await expect(page.locator('[data-field-error="email"]')).toHaveText("电子邮箱格式不正确");
  await snap(page, "field-errors");
});

test("返回修改 goes back with the values kept and the change is saved", async ({ page }) => {
  const h = demoHolder("personal_unified_4");
  await insertKey(page, h);
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await expect(page).toHaveURL(/\/renew\/review$/);
  await page.getByRole("button", { name: "返回修改" }).click();
  await expect(page).toHaveURL(/\/renew\/details$/);
  await expect(page.getByLabel("经办人姓名")).toHaveValue(HANDLER.name);
  await expect(page.getByLabel("经办人身份证号")).toHaveValue(HANDLER.idNumber);
  await expect(page.getByLabel("经办人手机")).toHaveValue(HANDLER.mobile);
  await expect(page.getByLabel("经办人电子邮件")).toHaveValue(HANDLER.email);
  await snap(page, "back-to-edit");
  await page.getByLabel("经办人姓名").fill("赵改名");
  await page.getByLabel("验证码", { exact: true }).fill("test-bypass");
  await page.getByRole("button", { name: "下一步" }).click();
  await expect(page.getByTestId("review-name")).toHaveText("赵改名");
  // the session ended meanwhile: the wizard cannot draw the page, the server sends the holder to the key again
  await page.context().clearCookies();
  await page.getByRole("button", { name: "返回修改" }).click();
  await expect(page).toHaveURL(/\/renew\?expired=1$/);
  await expect(page.getByText("登录已过期，请重新插入 U-Key 验证。")).toBeVisible();
});

test("取消申请 asks first, cancels, and the certificate can be applied for again", async ({ page }) => {
  const h = demoHolder("personal_unified_5");
  await insertKey(page, h);
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await page.getByRole("button", { name: "取消申请" }).click();
  const dialog = page.getByRole("dialog", { name: "确定取消本次申请？" });
  await expect(dialog).toBeVisible();
  await snap(page, "cancel-dialog");
  await dialog.getByRole("button", { name: "继续办理" }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole("button", { name: "取消申请" }).click();
  await dialog.getByRole("button", { name: "确定取消" }).click();
  await expect(page.getByRole("heading", { name: "申请已取消" })).toBeVisible();
  await snap(page, "cancelled");
  await page.getByRole("link", { name: "重新申请" }).click();
  await expect(page).toHaveURL(/\/renew\/details$/);
  await expect(page.getByLabel("经办人姓名")).toBeVisible();
});
