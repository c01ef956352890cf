import { describe, expect, test } from "vitest";
import { ConfigError, parseConfig } from "@/lib/config";
import { protocolMode, upstreamIssuerFor } from "./index";
import { cfsslSerial } from "./cfssl";

const base = {
  SESSION_SECRET: "s".repeat(40),
  FIELD_ENCRYPTION_KEY: "ab".repeat(32),
  SO_PIN_MASTER_SECRET: "m".repeat(40),
};
const cfssl = { ISSUER: "cfssl", CFSSL_URL: "http://ca.example:8888", CFSSL_AUTH_KEY: "0123456789abcdef".repeat(2) };

describe("ISSUER and RA mode settings", () => {
  test("builtin is the default: no upstream, the portal signs OCSP and CRLs", () => {
    const c = parseConfig(base);
    expect(c.ISSUER).toBe("builtin");
    expect(upstreamIssuerFor(c)).toBeNull();
    expect(protocolMode(c)).toEqual({ kind: "sign" });
  });

  test("ISSUER=cfssl needs its URL and auth key, and makes the cfssl client", () => {
    expect(() => parseConfig({ ...base, ISSUER: "cfssl" })).toThrow(ConfigError);
    expect(() => parseConfig({ ...cfssl, ...base, CFSSL_AUTH_KEY: "not-hex" })).toThrow(/CFSSL_AUTH_KEY is invalid/);
    expect(upstreamIssuerFor(parseConfig({ ...base, ...cfssl }))?.kind).toBe("cfssl");
  });

  test("ISSUER=cmp needs a server and either a reference with a secret or a certificate with a key", () => {
    expect(() => parseConfig({ ...base, ISSUER: "cmp" })).toThrow(/CMP_SERVER_URL is missing/);
    expect(() => parseConfig({ ...base, ISSUER: "cmp", CMP_SERVER_URL: "http://ca:1/pkix/" })).toThrow(
      /CMP_SECRET is missing/,
    );
    expect(() =>
      parseConfig({ ...base, ISSUER: "cmp", CMP_SERVER_URL: "http://ca:1/pkix/", CMP_SECRET: "pass" }),
    ).toThrow(/CMP_REF is missing/);
    const sig = { ...base, ISSUER: "cmp", CMP_SERVER_URL: "http://ca:1/", CMP_CERT: "ra.pem", CMP_KEY: "ra.key" };
    expect(() => parseConfig(sig)).toThrow(/CMP_TRUSTED is missing/);
    expect(parseConfig({ ...sig, CMP_TRUSTED: "ca.pem" }).ISSUER).toBe("cmp");
  });

  test("RA mode's /ocsp and /crl: a pointer by default, a proxy when configured with the upstream's URLs", () => {
    expect(protocolMode(parseConfig({ ...base, ...cfssl, UPSTREAM_OCSP_URL: "http://ocsp.ca/" }))).toEqual({
      kind: "pointer",
      ocspUrl: "http://ocsp.ca/",
      crlUrl: undefined,
    });
    expect(() => parseConfig({ ...base, ...cfssl, RA_STATUS_ENDPOINTS: "proxy" })).toThrow(/UPSTREAM_OCSP_URL/);
    expect(
      protocolMode(
        parseConfig({ ...base, ...cfssl, RA_STATUS_ENDPOINTS: "proxy", UPSTREAM_CRL_URL: "http://c/l.crl" }),
      ),
    ).toMatchObject({ kind: "proxy", crlUrl: "http://c/l.crl", cacheSeconds: 60 });
  });

  test("production needs no CA key passphrase in RA mode (the portal signs nothing)", () => {
    const prod = {
      ...base,
      NODE_ENV: "production",
      SMTP_HOST: "smtp",
      AUDIT_CHAIN_KEY: "ab".repeat(32),
      ALIPAY_APP_ID: "2021000000000000",
      ALIPAY_PRIVATE_KEY: "merchant-key",
      ALIPAY_PUBLIC_KEY: "alipay-key",
      ALIPAY_GATEWAY: "https://openapi.alipay.com/gateway.do",
      ALIPAY_SELLER_ID: "2088000000000000",
    };
    expect(() => parseConfig(prod)).toThrow(/CA_KEY_PASSPHRASE/);
    expect(parseConfig({ ...prod, ...cfssl }).ISSUER).toBe("cfssl");
  });
});

describe("cfssl serials", () => {
  test("one transaction asks for the same serial on every retry of an attempt, another for the next attempt", () => {
    const tx = Buffer.alloc(16, 7);
    expect(cfsslSerial(tx, 0)).toEqual(cfsslSerial(Buffer.alloc(16, 7), 0));
    expect(cfsslSerial(tx, 1).hex).not.toBe(cfsslSerial(tx, 0).hex);
    expect(cfsslSerial(Buffer.alloc(16, 8), 0).hex).not.toBe(cfsslSerial(tx, 0).hex);
    for (let k = 0; k < 6; k++) {
      const s = cfsslSerial(tx, k);
      expect(s.hex).toMatch(/^[4-7][0-9a-f]{31}$/); // 16 bytes, positive, never sign-padded
      expect(BigInt(s.decimal).toString(16)).toBe(s.hex);
    }
  });
});
