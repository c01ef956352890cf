import "@/tests/helpers/env";
import { mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { CA_FILES, ensureDevCa, loadCa } from "./ca";

const env = (dir: string, extra: Record<string, string> = {}) =>
  parseConfig({ ...process.env, CA_DIR: dir, PUBLIC_ORIGIN: "https://renew.example.cn", ...extra } as Record<
    string,
    string
  >);

describe("ensureDevCa / loadCa", () => {
  it("creates root and issuing CA once and never rewrites the files", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ca-"));
    expect(await ensureDevCa(dir, { algorithm: "P-256", passphrase: "a-long-passphrase" })).toEqual({ created: true });
    const before = Object.fromEntries(Object.values(CA_FILES).map((f) => [f, readFileSync(path.join(dir, f))]));
    expect(await ensureDevCa(dir, { algorithm: "RSA-2048", passphrase: "another-passphrase" })).toEqual({
      created: false,
    });
    for (const f of Object.values(CA_FILES)) expect(readFileSync(path.join(dir, f))).toEqual(before[f]);
    expect(readdirSync(dir).sort()).toEqual(Object.values(CA_FILES).sort());
    expect(statSync(path.join(dir, CA_FILES.issuingKey)).mode & 0o077).toBe(0);
    expect(readFileSync(path.join(dir, CA_FILES.issuingKey), "utf8")).toContain("BEGIN ENCRYPTED PRIVATE KEY");
  });

  it("loads the CA with its key, chain and URLs from the configuration", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ca-"));
    const ca = await loadCa(env(dir, { CA_KEY_ALGORITHM: "RSA-2048" }));
    expect(ca.signer.algorithm).toBe("RSA-2048");
    expect(ca.chain).toEqual([ca.issuingCert, ca.rootCert]);
    expect(ca.issuerDn).toBe("CN=CertRenew Demo Issuing CA,O=CertRenew Demo,C=CN");
    expect(ca.urls).toEqual({
      crl: "https://renew.example.cn/crl/issuing.crl",
      ocsp: "https://renew.example.cn/ocsp",
      caIssuers: "https://renew.example.cn/ca/issuing.cer",
    });
    expect((await loadCa(env(dir))).issuingCert).toEqual(ca.issuingCert);
  });

  it("refuses to open the key with a wrong passphrase", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ca-"));
    await loadCa(env(dir));
    await expect(loadCa(env(dir, { CA_KEY_PASSPHRASE: "wrong-passphrase-123" }))).rejects.toThrow();
  });

  it("does not create a CA in production: the CA files must be provided", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ca-"));
    await expect(loadCa({ ...env(dir), NODE_ENV: "production", DEMO_MODE: false })).rejects.toThrow(/ENOENT/);
  });
});
