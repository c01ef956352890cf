import { expect, test } from "@playwright/test";
import { DEMO_HOLDERS, demoResidentId } from "@/lib/dev/demo/holders";
import { BYPASS, PIN, assistantSign, certButton, demoHolder, mailText, snapService } from "./services-helpers";

/** 证书在线解锁 end to end on unlock_1's virtual token (a demo holder kept for this test). */

const KEY = "unlock_1";
const ID_NUMBER = demoResidentId(DEMO_HOLDERS.findIndex((h) => h.key === KEY));

test("a PIN locked by wrong tries is unlocked online: ID number, mailed code, new PIN; the new PIN signs", async ({
  page,
  context,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const h = demoHolder(KEY);
  const to = `${KEY}@demo.certrenew.local`;

  // lock the key through the assistant: six wrong PINs, then even the right one is refused
  for (let i = 0; i < 6; i++) await assistantSign(baseURL!, h, "000000");
  expect((await assistantSign(baseURL!, h, PIN)).code).toBe("PIN_LOCKED");

  await page.goto("/unlock");
  await expect(certButton(page, h)).toBeVisible();
  await expect(page.locator("li", { has: certButton(page, h) })).toContainText("密码已锁定");
  await snapService(page, "unlock-choose");
  await certButton(page, h).click();

  // a wrong ID number: refused, no code sent
  await expect(page.getByRole("img", { name: "图形验证码" })).toBeVisible();
  await page.getByLabel("登记的证件号码").fill("370101199001019999");
  await page.getByLabel("验证码（图片中的字符）").fill(BYPASS);
  await page.getByRole("button", { name: "发送验证码" }).click();
  await expect(page.locator("#main").getByRole("alert")).toContainText("证件号码与登记信息不符，未发送验证码");
  await snapService(page, "unlock-identity-error");

  await page.getByLabel("登记的证件号码").fill(ID_NUMBER);
  await page.getByLabel("验证码（图片中的字符）").fill(BYPASS);
  await page.getByRole("button", { name: "发送验证码" }).click();
  await expect(page.locator("#main").getByRole("status")).toContainText("验证码已发送至");
  await snapService(page, "unlock-code");

  const mailbox = await context.newPage();
  const code = /验证码为 (\d{6})/.exec(await mailText(mailbox, "证书在线解锁验证码", to))?.[1] ?? "";
  expect(code).toMatch(/^\d{6}$/);

  // a wrong code first: counted, the holder may type it again
  await page.getByLabel("邮件中的 6 位验证码").fill(code === "000000" ? "000001" : "000000");
  await page.getByRole("button", { name: "设置新密码" }).click();
  await page.getByLabel("新密码", { exact: true }).fill("87654321");
  await page.getByLabel("再次输入新密码").fill("87654321");
  await page.getByRole("button", { name: "解锁并设置新密码" }).click();
  await expect(page.locator("#main").getByRole("alert")).toContainText("验证码不正确，还可尝试 4 次");

  await page.getByLabel("邮件中的 6 位验证码").fill(code);
  await page.getByRole("button", { name: "设置新密码" }).click();
  await page.getByLabel("新密码", { exact: true }).fill("87654321");
  await page.getByLabel("再次输入新密码").fill("87654320");
  await page.getByRole("button", { name: "解锁并设置新密码" }).click();
  await expect(page.locator("#main").getByRole("alert")).toContainText("两次输入的新密码不一致");
  await page.getByLabel("新密码", { exact: true }).fill("87654321");
  await page.getByLabel("再次输入新密码").fill("87654321");
  await snapService(page, "unlock-new-pin");
  await page.getByRole("button", { name: "解锁并设置新密码" }).click();
  await expect(page.getByRole("heading", { name: "解锁成功" })).toBeVisible({ timeout: 30_000 });
  await snapService(page, "unlock-done");

  // signing in with the new PIN works, the old one no longer does
  expect(await assistantSign(baseURL!, h, "87654321")).toEqual({ status: 200, code: undefined });
  expect((await assistantSign(baseURL!, h, PIN)).code).toBe("PIN_INCORRECT");
});
