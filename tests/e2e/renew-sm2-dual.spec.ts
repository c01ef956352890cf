import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { expectEncryptionKeyMatches, openssl, tokenFile } from "./kmc-helpers";
import {
  demoHolder,
  download,
  confirmApplication,
  fillHandler,
  insertKey,
  payInSandbox,
  snap,
  tokenCertificates,
  type DemoHolder,
} from "./renew-helpers";

/**
 * National cryptography, dual certificates (GM/T 0034): an SM2 holder renews in the wizard and its virtual token
 * ends with two new certificates in one container — the signing certificate for the key made on the token and the
 * encryption certificate for the KMC's key pair, whose private key came in the GM/T 0016 envelope. Checked with
 * openssl: both chain to the portal's CA, same subject, the right key usages, SM2 keys, and the private key the token
 * holds (opened with the PIN, as the token would) is the encryption certificate's.
 */

async function checkDual(page: Page, h: DemoHolder, oldDer: Buffer, serial: string, encSerial: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "renew-sm2-"));
  const pem = (name: string, der: Buffer) => {
    writeFileSync(path.join(dir, `${name}.der`), der);
    openssl(["x509", "-inform", "DER", "-in", path.join(dir, `${name}.der`), "-out", path.join(dir, `${name}.pem`)]);
    return path.join(dir, `${name}.pem`);
  };
  const root = pem("root", Buffer.from(await (await page.request.get("/ca/root.cer")).body()));
  const issuing = pem("issuing", Buffer.from(await (await page.request.get("/ca/issuing.cer")).body()));

  const file = tokenFile(h);
  expect(file.certificates, "one container: the new signing certificate").toHaveLength(1);
  const signing = pem("signing", Buffer.from(file.certificates[0].der, "base64"));
  const key = file.keys.find((k) => k.id === file.certificates[0].id)!;
  expect(key.encryption, "the container holds the KMC's encryption pair").toBeDefined();
  const encryption = pem("encryption", Buffer.from(key.encryption!.certificate, "base64"));
  const old = pem("old", oldDer);

  const serialOf = (f: string) => openssl(["x509", "-in", f, "-noout", "-serial"]).replace("serial=", "").toLowerCase();
  expect(serialOf(signing).replace(/^0+/, "")).toBe(serial.toLowerCase().replace(/^0+/, ""));
  expect(serialOf(encryption).replace(/^0+/, "")).toBe(encSerial.toLowerCase().replace(/^0+/, ""));
  for (const f of [signing, encryption])
    expect(openssl(["verify", "-CAfile", root, "-untrusted", issuing, f])).toContain(": OK");
  const subject = (f: string) => openssl(["x509", "-in", f, "-noout", "-subject", "-nameopt", "RFC2253"]);
  expect(subject(signing)).toBe(subject(old));
  expect(subject(encryption)).toBe(subject(old));
  expect(openssl(["x509", "-in", signing, "-noout", "-ext", "keyUsage"])).toMatch(/Digital Signature/);
  expect(openssl(["x509", "-in", encryption, "-noout", "-ext", "keyUsage"])).toMatch(
    /Key Encipherment, Data Encipherment/,
  );
  for (const f of [signing, encryption]) expect(openssl(["x509", "-in", f, "-noout", "-text"])).toContain("SM2");

  // the private key the token holds (opened with the PIN) is the encryption certificate's key (openssl compares)
  expectEncryptionKeyMatches(file, key, encryption, dir);
}

test("an SM2 unified-payment holder renews to 下证成功 with a signing and an encryption certificate", async ({
  page,
}) => {
  const h = demoHolder("sm2_unified_1");
  const oldDer = tokenCertificates(h)[0];
  expect(tokenFile(h).keys[0].encryption, "the demo holder starts with dual certificates").toBeDefined();
  await insertKey(page, h);
  await expect(page).toHaveURL(/\/renew\/details$/);
  await expect(page.getByTestId("price")).toHaveText("无需支付");
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await confirmApplication(page);
  await expect(page).toHaveURL(/\/renew\/issue$/);
  await download(page);
  await expect(page.getByRole("heading", { name: "下证成功" })).toBeVisible({ timeout: 30_000 });
  await snap(page, "sm2-dual-done");
  const serial = (await page.getByTestId("new-serial").textContent())!.trim();
  const encSerial = (await page.getByTestId("new-encryption-serial").textContent())!.trim();
  await checkDual(page, h, oldDer, serial, encSerial);
});

test("an SM2 self-paying holder pays, then downloads both certificates", async ({ page }) => {
  const h = demoHolder("sm2_self_1");
  const oldDer = tokenCertificates(h)[0];
  await insertKey(page, h);
  await expect(page.getByTestId("price")).toHaveText("50.00 元");
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await confirmApplication(page);
  await expect(page).toHaveURL(/\/renew\/pay$/);
  await payInSandbox(page);
  await expect(page).toHaveURL(/\/renew\/invoice$/, { timeout: 20_000 });
  await page.getByRole("button", { name: "跳过，直接下证" }).click();
  await expect(page).toHaveURL(/\/renew\/issue$/);
  await download(page);
  await expect(page.getByRole("heading", { name: "下证成功" })).toBeVisible({ timeout: 30_000 });
  const serial = (await page.getByTestId("new-serial").textContent())!.trim();
  const encSerial = (await page.getByTestId("new-encryption-serial").textContent())!.trim();
  await checkDual(page, h, oldDer, serial, encSerial);
});
