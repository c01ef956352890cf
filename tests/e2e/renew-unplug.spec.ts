import { expect, test } from "@playwright/test";
import { checkRenewed, crlSerials, demoHolder, download, dropPendingKeys, fillHandler, insertKey, scheduleUnplug, snap, tokenCertificates } from "./renew-helpers";

test("the key unplugged while the certificate is written: 重新下证 installs the same certificate, issued once", async ({ page }) => {
  const h = demoHolder("personal_unified_6");
  const oldDer = tokenCertificates(h)[0];
  await insertKey(page, h);
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await page.getByRole("button", { name: "确认提交" }).click();
  await expect(page).toHaveURL(/\/renew\/issue$/);

  scheduleUnplug(h, "install:before-write");
  await download(page);
  await expect(page.getByTestId("issue-error")).toContainText("U-Key 被拔出");
  await expect(page.getByTestId("issue-error")).toContainText("不会重复收费或重复签发");
  await snap(page, "unplug-error");

  // leave and come back: the order resumes at 下证 with the certificate already issued
  await insertKey(page, h);
  await expect(page).toHaveURL(/\/renew\/issue$/);
  const issuedStart = await page.getByTestId("issue-facts").textContent();
  await download(page);
  await expect(page.getByRole("heading", { name: "下证成功" })).toBeVisible({ timeout: 30_000 });
  const serial = (await page.getByTestId("new-serial").textContent())!.trim();
  await checkRenewed(page, h, oldDer, serial);
  expect(issuedStart).not.toContain("签发时");
});

test("the pending key lost after the certificate was issued: 下证 issues again for a new key and revokes the orphan", async ({ page }) => {
  const h = demoHolder("org_unified_1");
  const oldDer = tokenCertificates(h)[0];
  await insertKey(page, h);
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await page.getByRole("button", { name: "确认提交" }).click();
  await expect(page).toHaveURL(/\/renew\/issue$/);

  scheduleUnplug(h, "install:before-write");
  await download(page);
  await expect(page.getByTestId("issue-error")).toBeVisible();
  const first = (await (await page.request.get("/api/renew/status")).json()) as { order: { issued: { serial: string } } };
  const orphanSerial = first.order.issued.serial;

  dropPendingKeys(h);
  await download(page);
  await expect(page.getByRole("heading", { name: "下证成功" })).toBeVisible({ timeout: 30_000 });
  const serial = (await page.getByTestId("new-serial").textContent())!.trim();
  expect(serial).not.toBe(orphanSerial);
  await checkRenewed(page, h, oldDer, serial);
  expect(await crlSerials(page)).toContain(orphanSerial.toUpperCase().replace(/^0+/, ""));
});
