import { expect, test } from "@playwright/test";
import { demoHolder, insertKey, snap } from "./renew-helpers";

test("too early: the page says from when the certificate can be renewed", async ({ page }) => {
  const h = demoHolder("too_early");
  await insertKey(page, h);
  await expect(page).toHaveURL(/\/renew\/unavailable\?reason=too_early/);
  await expect(page.getByRole("heading", { name: "尚未到可更新时间" })).toBeVisible();
  const opens = new Date(Date.parse(h.notAfter) - 30 * 86_400_000);
  // one date format everywhere: 2027-01-02 23:19:09, Beijing time
  const expected = new Date(opens.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
  await expect(page.getByText(/本证书可于 .* 起办理更新/)).toHaveText(`本证书可于 ${expected} 起办理更新。`);
  await snap(page, "too-early");
  const status = await page.request.get("/api/renew/status");
  expect(status.status()).toBe(401);
});

test("expired: the page sends the holder to the service centre with address and hotline", async ({ page }) => {
  await insertKey(page, demoHolder("expired"));
  await expect(page).toHaveURL(/reason=expired/);
  await expect(page.getByRole("heading", { name: "证书已过期，无法在线更新" })).toBeVisible();
  await expect(page.getByRole("main").getByText("德州政务服务中心", { exact: true })).toBeVisible();
  await expect(page.getByRole("main").getByText(/东方红路/)).toBeVisible();
  await expect(page.getByRole("link", { name: "96701666" })).toBeVisible();
  await snap(page, "expired");
});

test("revoked: the page says the certificate was revoked", async ({ page }) => {
  await insertKey(page, demoHolder("revoked"));
  await expect(page).toHaveURL(/reason=revoked/);
  await expect(page.getByRole("heading", { name: "证书已注销" })).toBeVisible();
  await snap(page, "revoked");
});
