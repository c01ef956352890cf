import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { derToPem } from "@/tests/helpers/pem";
import { PIN, certButton, demoHolder, mailText, snapService, tokenCertificates } from "./services-helpers";

/** 证书注销 end to end on org_unified_2 (nobody else uses it), then openssl ocsp against the running portal. */

test("revokes with PIN and signed challenge after a confirmation; OCSP says revoked at once; the holder gets a mail", async ({
  page,
  context,
  baseURL,
  request,
}) => {
  const h = demoHolder("org_unified_2");
  const [leafDer] = tokenCertificates(h);
  await page.goto("/revoke");
  await snapService(page, "revoke-choose");
  await certButton(page, h).click();

  await page.getByRole("radio", { name: /密钥泄露/ }).check();
  await snapService(page, "revoke-reason");
  await page.getByRole("button", { name: "确认注销" }).click();

  await expect(page.getByRole("note")).toContainText("注销后无法恢复");
  await expect(page.getByRole("note")).toContainText(h.serial);
  const submit = page.getByRole("button", { name: "确认注销" });
  await page.getByLabel("证书密码（PIN）").fill(PIN);
  await expect(submit).toBeDisabled();
  await page.getByLabel(/我已了解注销后不可恢复/).check();
  await snapService(page, "revoke-confirm");

  await page.getByLabel("证书密码（PIN）").fill("000000");
  await submit.click();
  await expect(page.locator("#main").getByRole("alert")).toContainText("证书密码错误，还可尝试 5 次");
  const still = await request.post("/api/services/status", {
    data: { serial: h.serial },
    headers: { origin: baseURL! },
  });
  expect((await still.json()).state).not.toBe("revoked");

  await page.getByLabel("证书密码（PIN）").fill(PIN);
  await submit.click();
  await expect(page.getByRole("heading", { name: "证书已注销" })).toBeVisible();
  await expect(page.locator("#main").getByRole("status")).toContainText("密钥泄露或 U-Key 被他人使用");
  await snapService(page, "revoke-done");

  const tmp = mkdtempSync(path.join(os.tmpdir(), "e2e-ocsp-"));
  const files = {
    leaf: path.join(tmp, "leaf.pem"),
    issuing: path.join(tmp, "issuing.pem"),
    root: path.join(tmp, "root.pem"),
  };
  writeFileSync(files.leaf, derToPem(leafDer));
  writeFileSync(files.issuing, derToPem(Buffer.from(await (await request.get("/ca/issuing.cer")).body())));
  writeFileSync(files.root, derToPem(Buffer.from(await (await request.get("/ca/root.cer")).body())));
  const r = spawnSync(
    "openssl",
    [
      "ocsp",
      "-issuer",
      files.issuing,
      "-cert",
      files.leaf,
      "-url",
      `${baseURL}/ocsp`,
      "-CAfile",
      files.root,
      "-resp_text",
    ],
    { encoding: "utf8" },
  );
  const out = `${r.stdout}${r.stderr}`;
  expect(out).toContain("Response verify OK");
  expect(out).toMatch(/leaf\.pem: revoked/);
  expect(out).toContain("Reason: keyCompromise");

  const mail = await mailText(
    await context.newPage(),
    `证书已注销（序列号 ${h.serial}）`,
    `${h.key}@demo.certrenew.local`,
  );
  expect(mail).toContain("此操作不可撤销");

  // revoking again is refused with a clear message
  await page.goto("/revoke");
  await certButton(page, h).click();
  await page.getByRole("radio", { name: /不再需要此证书/ }).check();
  await page.getByRole("button", { name: "确认注销" }).click();
  await page.getByLabel("证书密码（PIN）").fill(PIN);
  await page.getByLabel(/我已了解注销后不可恢复/).check();
  await page.getByRole("button", { name: "确认注销" }).click();
  await expect(page.locator("#main").getByRole("alert")).toContainText("该证书已被注销");
});
