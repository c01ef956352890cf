import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { snapAndCheck } from "./page-check";
import type { DemoHolderEntry } from "../../lib/dev/demo/seed";

/** Shared steps of the renewal wizard's browser tests. Each test uses its own demo holder (DATA_DIR/demo-holders.json). */

export type DemoHolder = DemoHolderEntry;

export const PIN = "111111";
export const BYPASS = "test-bypass";
export const HANDLER = {
  name: "王经办",
  idNumber: "11010519491231002X",
  mobile: "13812345678",
  email: "jingban@example.cn",
};

const dataDir = () => process.env.E2E_DATA_DIR!;

export function demoHolder(key: string): DemoHolder {
  const all = JSON.parse(readFileSync(path.join(dataDir(), "demo-holders.json"), "utf8")) as DemoHolder[];
  const found = all.find((h) => h.key === key);
  if (!found) throw new Error(`demo holder ${key} missing from demo-holders.json`);
  return found;
}

interface TokenFile {
  certificates: { id: string; der: string }[];
}

export function tokenCertificates(h: DemoHolder): Buffer[] {
  const file = JSON.parse(readFileSync(path.join(dataDir(), "tokens", `${h.tokenSerial}.json`), "utf8")) as TokenFile;
  return file.certificates.map((c) => Buffer.from(c.der, "base64"));
}

/** The key is "pulled out" at the named step of the next operation (assistant test hook). */
export function scheduleUnplug(h: DemoHolder, step: string): void {
  writeFileSync(path.join(dataDir(), "tokens", `${h.tokenSerial}.json.unplug`), step);
}

/** The token "lost" its pending key pair (e.g. re-initialised by other software): only certified keys remain. */
export function dropPendingKeys(h: DemoHolder): void {
  const file = path.join(dataDir(), "tokens", `${h.tokenSerial}.json`);
  const token = JSON.parse(readFileSync(file, "utf8")) as { keys: { pendingFor: string | null }[] };
  token.keys = token.keys.filter((k) => k.pendingFor === null);
  writeFileSync(file, JSON.stringify(token, null, 2));
}

/** Serial numbers (upper-case hex, as openssl prints them) on the portal's current CRL. */
export async function crlSerials(page: Page): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "renew-crl-"));
  writeFileSync(path.join(dir, "issuing.crl"), Buffer.from(await (await page.request.get("/crl/issuing.crl")).body()));
  return openssl(["crl", "-inform", "DER", "-in", path.join(dir, "issuing.crl"), "-noout", "-text"]).toUpperCase();
}

/** Screenshot into tests/artifacts and an axe check: no serious or critical violations. */
export async function snap(page: Page, name: string): Promise<void> {
  // RENEW_NO_SNAP=1 times the bare flow (bench figure), without screenshots and axe
  if (process.env.RENEW_NO_SNAP === "1") return;
  await snapAndCheck(page, `renew-${name}`);
}

/** Step 1: choose the holder's certificate, PIN, 提交. */
export async function insertKey(page: Page, h: DemoHolder, pin = PIN): Promise<void> {
  await page.goto("/renew");
  await expect(page.getByTestId("cert-name")).toBeVisible();
  const choice = page.getByRole("radio", { name: new RegExp(h.cn) });
  if (await choice.count()) await choice.check();
  await expect(page.getByTestId("cert-name")).toContainText(h.cn);
  await page.getByLabel("证书密码").fill(pin);
  // Enter in the PIN field submits the form, as most holders do. A click waits for two animation frames to call the
  // button stable, and headless chromium once produced none for 90 s right after this page loaded (CI, stop 32).
  await expect(page.getByRole("button", { name: "提交" })).toBeEnabled();
  await page.getByLabel("证书密码").press("Enter");
}

export async function fillHandler(page: Page, values: Partial<typeof HANDLER> = {}, captcha = BYPASS): Promise<void> {
  const v = { ...HANDLER, ...values };
  await page.getByLabel("经办人姓名").fill(v.name);
  await page.getByLabel("经办人身份证号").fill(v.idNumber);
  await page.getByLabel("经办人手机").fill(v.mobile);
  await page.getByLabel("经办人电子邮件").fill(v.email);
  await page.getByLabel("验证码", { exact: true }).fill(captcha);
}

/** Step 3: ticks the subscriber agreement and the privacy notice (refused by the server without them), 确认提交. */
export async function confirmApplication(page: Page): Promise<void> {
  await page.getByRole("checkbox", { name: /数字证书订户协议/ }).check();
  await page.getByRole("checkbox", { name: /个人信息保护声明/ }).check();
  await page.getByRole("button", { name: "确认提交" }).click();
}

/** Opens the emulator's scan-and-pay page (what the QR code on /renew/pay encodes) and pays. */
export async function payInSandbox(page: Page): Promise<void> {
  const href = await page.getByTestId("sandbox-pay-link").getAttribute("href");
  const payPage = await page.context().newPage();
  await payPage.goto(href!);
  await payPage.getByRole("button", { name: /确认付款|付款/ }).click();
  await expect(payPage.getByTestId("trade-status")).toBeVisible();
  await payPage.close();
}

/** A unified-payment holder from the key to the 下证 page: sign in, handler, 确认提交. */
export async function reachIssueStep(page: Page, h: DemoHolder): Promise<void> {
  await insertKey(page, h);
  await fillHandler(page);
  await page.getByRole("button", { name: "下一步" }).click();
  await confirmApplication(page);
  await expect(page).toHaveURL(/\/renew\/issue$/);
}

/** 下证 with the PIN, to 下证成功. */
export async function download(page: Page, pin = PIN): Promise<void> {
  await page.getByLabel("证书密码").fill(pin);
  await page.getByRole("button", { name: /下证/ }).click();
}

function openssl(args: string[]): string {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

function addOneYearUtc(d: Date): Date {
  const y = d.getUTCFullYear() + 1;
  const last = new Date(Date.UTC(y, d.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(y, d.getUTCMonth(), Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()),
  );
}

/**
 * The certificate now on the key, checked with openssl: it chains to the portal's CA (/ca/root.cer,
 * /ca/issuing.cer), has the old certificate's subject and ends exactly one year after the old one.
 */
export async function checkRenewed(page: Page, h: DemoHolder, oldDer: Buffer, newSerial: string): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "renew-e2e-"));
  const write = (name: string, der: Buffer) => {
    writeFileSync(path.join(dir, `${name}.der`), der);
    openssl(["x509", "-inform", "DER", "-in", path.join(dir, `${name}.der`), "-out", path.join(dir, `${name}.pem`)]);
    return path.join(dir, `${name}.pem`);
  };
  const root = write("root", Buffer.from(await (await page.request.get("/ca/root.cer")).body()));
  const issuing = write("issuing", Buffer.from(await (await page.request.get("/ca/issuing.cer")).body()));
  const onKey = tokenCertificates(h);
  const fresh = onKey.find((der) =>
    openssl(["x509", "-in", write("probe", der), "-noout", "-serial"])
      .toLowerCase()
      .endsWith(newSerial.toLowerCase()),
  );
  expect(fresh, "the new certificate is on the key").toBeDefined();
  expect(onKey).toHaveLength(1);
  const leaf = write("new", fresh!);
  const old = write("old", oldDer);
  expect(openssl(["verify", "-CAfile", root, "-untrusted", issuing, leaf])).toContain(": OK");
  const subject = (f: string) => openssl(["x509", "-in", f, "-noout", "-subject", "-nameopt", "RFC2253"]);
  expect(subject(leaf)).toBe(subject(old));
  const end = (f: string) => new Date(openssl(["x509", "-in", f, "-noout", "-enddate"]).replace("notAfter=", ""));
  expect(end(leaf).toISOString()).toBe(addOneYearUtc(end(old)).toISOString());
}
