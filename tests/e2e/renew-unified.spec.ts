import { expect, test } from "@playwright/test";
import {
  checkRenewed,
  confirmApplication,
  demoHolder,
  download,
  fillHandler,
  insertKey,
  snap,
  tokenCertificates,
} from "./renew-helpers";

test("a unified-payment personal holder renews to 下证成功 without paying", async ({ page }) => {
  const h = demoHolder(process.env.RENEW_UNIFIED_HOLDER ?? "personal_unified_1");
  const oldDer = tokenCertificates(h)[0];
  const started = Date.now();

  await page.goto("/renew");
  await expect(page.getByTestId("cert-name")).toBeVisible();
  await page.getByRole("radio", { name: new RegExp(h.cn) }).check();
  await expect(page.getByTestId("cert-name")).toContainText(h.cn);
  await snap(page, "unified-1-insert-key");
  await insertKey(page, h);

  await expect(page).toHaveURL(/\/renew\/details$/);
  await expect(page.getByTestId("cert-summary")).toContainText(h.cn);
  await expect(page.getByTestId("price")).toHaveText("无需支付");
  await expect(page.getByTestId("validity-days")).toContainText(/\d{3} 天/);
  await expect(page.locator("img[data-captcha-id]")).toBeVisible();
  await snap(page, "unified-2-details");
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();

  await expect(page).toHaveURL(/\/renew\/review$/);
  await expect(page.getByRole("heading", { name: "数字证书申请表" })).toBeVisible();
  await expect(page.getByTestId("amount")).toHaveText("无需支付");
  await expect(page.getByText("1101**********002X")).toBeVisible();
  await snap(page, "unified-3-review");
  await confirmApplication(page);

  await expect(page).toHaveURL(/\/renew\/issue$/);
  await expect(page.getByTestId("subject-dn")).toContainText(`CN=${h.cn}`);
  await expect(page.getByText("下证过程中请勿拔出 U-Key")).toBeVisible();
  await snap(page, "unified-5-issue");
  await download(page);

  await expect(page).toHaveURL(/\/renew\/done$/, { timeout: 30_000 });
  await expect(page.getByRole("heading", { name: "下证成功" })).toBeVisible();
  const elapsed = Date.now() - started;
  test.info().annotations.push({ type: "wizard-to-success-ms", description: String(elapsed) });
  console.log(`renewal wizard: opened → 下证成功 in ${elapsed} ms`);
  await snap(page, "unified-6-done");

  const newSerial = (await page.getByTestId("new-serial").textContent())!.trim();
  await checkRenewed(page, h, oldDer, newSerial);
});

test("the wizard works at phone width", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/renew");
  await expect(page.getByTestId("cert-name")).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
  await snap(page, "phone-insert-key");
});

test("the wizard speaks English after the language switch", async ({ page }) => {
  await page.goto("/lang/en");
  await page.goto("/renew");
  await expect(page.getByRole("heading", { name: "Certificate renewal" })).toBeVisible();
  await expect(page.getByLabel("PIN")).toBeVisible();
  await expect(page.getByText("the default PIN is 111111")).toBeVisible();
  await snap(page, "english-insert-key");
  await page.goto("/renew/unavailable?reason=expired&at=2026-11-22T15:26:43.000Z");
  await expect(page.getByRole("heading", { name: "Expired: online renewal is not possible" })).toBeVisible();
});
