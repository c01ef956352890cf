import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { expectEncryptionKeyMatches, openssl, tokenFile, writeTokenFile } from "./kmc-helpers";
import { PIN, certButton, demoHolder, snapService } from "./services-helpers";
import { staffSignIn } from "./staff-helpers";

/**
 * 加密密钥恢复 end to end on sm2_self_2 (nobody else uses it): the holder's token lost its encryption key pair; the
 * holder proves the SM2 signing key on /recover and asks; the demo administrator and a second administrator approve
 * on /staff/kmc; the holder imports the envelope through the assistant, and openssl checks that the private key now on
 * the virtual token is the encryption certificate's.
 */

const SECOND_ADMIN = { username: "e2e.kmc2", password: "Kmc2-Second-Officer-2026!" };

async function showKeys(page: Page, serial: string) {
  await page.goto("/recover");
  await page.locator(`button[data-serial="${serial}"]`).click();
  await page.getByLabel("证书密码（PIN）").fill(PIN);
  await page.getByRole("button", { name: "查询托管的加密密钥" }).click();
  await expect(page.getByRole("heading", { name: "您名下托管的加密密钥" })).toBeVisible();
}

async function approveOnStaffPage(page: Page, encSerial: string, after: string) {
  await page.goto("/staff/kmc");
  const row = page.getByRole("row").filter({ hasText: encSerial });
  await row.getByRole("button", { name: "批准" }).click();
  await expect(row).toContainText(after);
}

test("a holder asks for the escrowed encryption key, two administrators approve, the key is imported into the token", async ({
  page,
  browser,
}) => {
  const h = demoHolder("sm2_self_2");
  // the token lost its encryption key pair (e.g. re-initialised by other software): only the signing key remains
  const before = tokenFile(h);
  const signingKey = before.keys.find((k) => k.id === before.certificates[0].id)!;
  const encryptionDer = Buffer.from(signingKey.encryption!.certificate, "base64");
  writeTokenFile(h, { ...before, keys: before.keys.map((k) => ({ ...k, encryption: undefined })) });

  await page.goto("/recover");
  await expect(page.getByRole("heading", { name: "加密密钥恢复", level: 1 })).toBeVisible();
  await snapService(page, "recover-choose");
  await certButton(page, h).click();
  // a wrong PIN: the assistant's message, nothing asked
  await page.getByLabel("证书密码（PIN）").fill("000000");
  await page.getByRole("button", { name: "查询托管的加密密钥" }).click();
  await expect(page.locator("#main").getByRole("alert")).toContainText("证书密码错误");
  await page.getByLabel("证书密码（PIN）").fill(PIN);
  await page.getByRole("button", { name: "查询托管的加密密钥" }).click();

  const entry = page.getByTestId("escrowed-key").first();
  await expect(entry).toContainText("当前加密证书");
  await expect(entry.getByTestId("recovery-state")).toContainText("尚未申请恢复");
  const encSerial = (await entry.getAttribute("data-serial"))!;
  const serialOf = (der: Buffer) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "recover-ser-"));
    writeFileSync(path.join(dir, "c.der"), der);
    return openssl(["x509", "-inform", "DER", "-in", path.join(dir, "c.der"), "-noout", "-serial"]).replace(
      "serial=",
      "",
    );
  };
  expect(serialOf(encryptionDer).toLowerCase().replace(/^0+/, "")).toBe(encSerial.replace(/^0+/, ""));

  await entry.getByRole("radio", { name: "U-Key 损坏或已重新制证" }).check();
  await entry.getByRole("button", { name: "申请恢复" }).click();
  await expect(page.locator("#main").getByRole("status")).toContainText("申请已提交");
  await expect(entry.getByTestId("recovery-state")).toContainText("等待审核（已批准 0/2）");
  await snapService(page, "recover-requested");
  await page.setViewportSize({ width: 390, height: 844 });
  await snapService(page, "recover-requested-phone");
  await page.setViewportSize({ width: 1280, height: 860 });

  // two different administrators approve on /staff/kmc; the first one cannot approve twice
  const adminPage = await (await browser.newContext()).newPage();
  await staffSignIn(adminPage, "admin");
  await adminPage.goto("/staff/users");
  await adminPage.locator("#username").fill(SECOND_ADMIN.username);
  await adminPage.locator("#displayName").fill("E2E 密钥管理员");
  await adminPage.locator("#password").fill(SECOND_ADMIN.password);
  await adminPage.locator("#role").selectOption("admin");
  await adminPage.getByRole("button", { name: "创建" }).click();
  await expect(adminPage.getByRole("row", { name: /e2e\.kmc2/ })).toBeVisible();
  await approveOnStaffPage(adminPage, encSerial, "您已批准，须由另一位人员再次批准");
  await expect(adminPage.getByRole("row").filter({ hasText: encSerial })).toContainText("持有人在线申请");

  await showKeys(page, h.serial);
  await expect(page.getByTestId("escrowed-key").first().getByTestId("recovery-state")).toContainText(
    "等待第二位工作人员审核（已批准 1/2）",
  );

  const secondPage = await (await browser.newContext()).newPage();
  await secondPage.goto("/staff/login");
  await secondPage.getByLabel("用户名").fill(SECOND_ADMIN.username);
  await secondPage.getByLabel("密码", { exact: true }).fill(SECOND_ADMIN.password);
  await secondPage.getByRole("button", { name: "登录" }).click();
  await expect(secondPage.getByTestId("signed-in-as")).toContainText("E2E 密钥管理员");
  await approveOnStaffPage(secondPage, encSerial, "已批准，待持有人取回");

  // the holder comes back: approved, import
  await showKeys(page, h.serial);
  const approved = page.getByTestId("escrowed-key").first();
  await expect(approved.getByTestId("recovery-state")).toContainText("已批准，可以导入 U-Key");
  await snapService(page, "recover-approved");
  await approved.getByRole("button", { name: "导入到 U-Key" }).click();
  await expect(page.getByRole("heading", { name: "加密密钥已导入" })).toBeVisible({ timeout: 30_000 });
  await expect(page.locator("#main").getByRole("status")).toContainText(encSerial);
  await snapService(page, "recover-done");
  await page.setViewportSize({ width: 390, height: 844 });
  await snapService(page, "recover-done-phone");

  // the token holds the encryption certificate and its private key again (openssl compares the public keys)
  const after = tokenFile(h);
  const key = after.keys.find((k) => k.id === after.certificates[0].id)!;
  expect(key.encryption, "the container holds the recovered encryption pair").toBeDefined();
  expect(Buffer.from(key.encryption!.certificate, "base64").equals(encryptionDer)).toBe(true);
  const dir = mkdtempSync(path.join(os.tmpdir(), "recover-"));
  writeFileSync(path.join(dir, "enc.der"), encryptionDer);
  openssl(["x509", "-inform", "DER", "-in", path.join(dir, "enc.der"), "-out", path.join(dir, "enc.pem")]);
  expectEncryptionKeyMatches(after, key, path.join(dir, "enc.pem"), dir);

  // the request is consumed: the staff console says delivered
  await adminPage.goto("/staff/kmc");
  await expect(adminPage.getByRole("row").filter({ hasText: encSerial })).toContainText("已交付");
});
