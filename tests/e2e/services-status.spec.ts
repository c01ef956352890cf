import { expect, test } from "@playwright/test";
import { certButton, demoHolder, snapService } from "./services-helpers";

/** 证书状态查询 on read-only demo holders: too_early (valid), personal_self_4 (in the window), revoked. */

test("a typed serial of a certificate 60 days from expiry shows valid and the date online renewal opens, without personal data", async ({
  page,
}) => {
  const h = demoHolder("too_early");
  await page.goto("/status");
  await page.getByRole("button", { name: "按序列号查询" }).click();
  await page.getByLabel("证书序列号").fill(h.serial.toUpperCase().match(/../g)!.join(":"));
  await page.getByRole("button", { name: "查询", exact: true }).click();
  await expect(page.getByTestId("status-state")).toHaveText("有效");
  await expect(page.getByTestId("status-renewal")).toContainText("起可以在线更新");
  await expect(page.locator("#main")).not.toContainText(h.cn);
  await snapService(page, "status-serial-valid");
});

test("the certificate on the key within 30 days of expiry shows renewable, its name and a link to renew", async ({
  page,
}) => {
  const h = demoHolder("personal_self_4");
  await page.goto("/status");
  await certButton(page, h).click();
  await expect(page.getByTestId("status-state")).toHaveText("有效 · 可在线更新");
  await expect(page.getByTestId("status-renewal")).toContainText("现在可以在线更新");
  await expect(page.locator("[data-state]")).toContainText(h.cn);
  await snapService(page, "status-key-renewable");
});

test("a revoked certificate shows the revocation date and reason in plain words", async ({ page }) => {
  const h = demoHolder("revoked");
  await page.goto("/status");
  await page.getByRole("button", { name: "按序列号查询" }).click();
  await page.getByLabel("证书序列号").fill(h.serial);
  await page.getByRole("button", { name: "查询", exact: true }).click();
  await expect(page.getByTestId("status-state")).toHaveText("已注销");
  await expect(page.locator("[data-state]")).toContainText("注销时间");
  await expect(page.locator("[data-state]")).toContainText("不再需要此证书");
  await expect(page.getByTestId("status-renewal")).toContainText("不能更新");
});

test("a serial that is not hexadecimal or not known gets a clear message", async ({ page }) => {
  await page.goto("/status");
  await page.getByRole("button", { name: "按序列号查询" }).click();
  await page.getByLabel("证书序列号").fill("xyz-123");
  await page.getByRole("button", { name: "查询", exact: true }).click();
  await expect(page.locator("#main").getByRole("alert")).toContainText("序列号格式不正确");
  await page.getByLabel("证书序列号").fill("0123456789abcdef");
  await page.getByRole("button", { name: "查询", exact: true }).click();
  await expect(page.locator("#main").getByRole("alert")).toContainText("未找到该序列号的证书");
});
