import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateSm2KeyPair, sm2Sign, sm2SpkiEncode } from "../crypto/sm2";
import {
  ChallengeFormatError,
  formatChallenge,
  parseChallenge,
  verifyChallengeSignature,
  type ChallengeFields,
} from "./challenge";

const base: ChallengeFields = {
  origin: "https://renew.example.cn",
  purpose: "login",
  serial: "00a1b2c3",
  nonce: Buffer.alloc(32, 0xab).toString("base64url"),
  issuedAt: "2026-11-25T10:00:00.000Z",
};

describe("challenge text", () => {
  it("has exactly the documented lines, joined by \\n, without a trailing newline", () => {
    expect(formatChallenge(base)).toBe(
      [
        "CertRenew challenge v1",
        "origin: https://renew.example.cn",
        "purpose: login",
        "serial: 00a1b2c3",
        `nonce: ${base.nonce}`,
        "issued-at: 2026-11-25T10:00:00.000Z",
      ].join("\n"),
    );
    const csrSha256 = createHash("sha256").update("csr").digest("hex");
    const issue = formatChallenge({ ...base, purpose: "issue", csrSha256 });
    expect(issue.endsWith(`\ncsr-sha256: ${csrSha256}`)).toBe(true);
    expect(parseChallenge(issue)).toEqual({ ...base, purpose: "issue", csrSha256 });
  });

  it("parses what it formats for every purpose", () => {
    for (const purpose of ["login", "revoke", "unlock"] as const)
      expect(parseChallenge(formatChallenge({ ...base, purpose }))).toEqual({ ...base, purpose });
  });

  it("refuses anything but the canonical form", () => {
    const good = formatChallenge(base);
    const bad = [
      `${good}\n`,
      good.replace(/\n/g, "\r\n"),
      good.replace("origin: ", "origin:  "),
      good.replace("CertRenew challenge v1", "CertRenew challenge v2"),
      good.replace("purpose: login", "purpose: pay"),
      good.replace("serial: 00a1b2c3", "serial: 00A1B2C3"),
      good.replace(base.nonce, base.nonce.slice(1)),
      good.replace(base.nonce, `${base.nonce.slice(0, 42)}=`),
      good.replace("2026-11-25T10:00:00.000Z", "2026-11-25T10:00:00Z"),
      good.replace("2026-11-25T10:00:00.000Z", "2026-02-30T10:00:00.000Z"),
      good.replace("https://renew.example.cn", "https://renew.example.cn/path"),
      good.split("\n").reverse().join("\n"),
      `${good}\ncsr-sha256: ${"0".repeat(64)}`,
      formatChallenge({ ...base, purpose: "issue", csrSha256: "1".repeat(64) }).replace("1".repeat(64), "1".repeat(63)),
      `${good}\nextra: 1`,
      "",
    ];
    for (const text of bad) expect(() => parseChallenge(text), JSON.stringify(text)).toThrow(ChallengeFormatError);
  });

  it("refuses to format an issue challenge without the CSR hash, or another purpose with one", () => {
    expect(() => formatChallenge({ ...base, purpose: "issue" })).toThrow(ChallengeFormatError);
    expect(() => formatChallenge({ ...base, csrSha256: "a".repeat(64) })).toThrow(ChallengeFormatError);
  });
});

describe("verifyChallengeSignature", () => {
  const text = formatChallenge(base);

  it.each([
    ["RSA PKCS#1 v1.5", generateKeyPairSync("rsa", { modulusLength: 2048 })],
    ["ECDSA P-256", generateKeyPairSync("ec", { namedCurve: "P-256" })],
  ])("accepts a %s SHA-256 signature and rejects tampering", (_name, { privateKey, publicKey }) => {
    const spki = publicKey.export({ type: "spki", format: "der" });
    const signature = sign("sha256", Buffer.from(text), { key: privateKey, dsaEncoding: "der" }).toString("base64");
    expect(verifyChallengeSignature(text, signature, spki)).toBe(true);
    expect(verifyChallengeSignature(text.replace("login", "revoke"), signature, spki)).toBe(false);
    expect(
      verifyChallengeSignature(
        text,
        Buffer.from(Buffer.from(signature, "base64").map((b, i) => (i === 10 ? b ^ 1 : b))).toString("base64"),
        spki,
      ),
    ).toBe(false);
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" });
    expect(verifyChallengeSignature(text, signature, other)).toBe(false);
  });

  it("accepts an SM2 signature with the default ID (SKF and virtual SM2 keys) and rejects other IDs and tampering", () => {
    const pair = generateSm2KeyPair();
    const spki = sm2SpkiEncode(pair.publicKey);
    const signature = sm2Sign(Buffer.from(text), pair.privateKey).toString("base64");
    expect(verifyChallengeSignature(text, signature, spki)).toBe(true);
    expect(verifyChallengeSignature(text.replace("login", "revoke"), signature, spki)).toBe(false);
    const otherId = sm2Sign(Buffer.from(text), pair.privateKey, { id: "alice" }).toString("base64");
    expect(verifyChallengeSignature(text, otherId, spki)).toBe(false);
    expect(verifyChallengeSignature(text, signature, sm2SpkiEncode(generateSm2KeyPair().publicKey))).toBe(false);
    expect(verifyChallengeSignature(text, `${signature}=`, spki)).toBe(false);
  });

  it("rejects a valid signature over text that is not a challenge", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const signature = sign("sha256", Buffer.from("hello"), { key: privateKey, dsaEncoding: "der" }).toString("base64");
    expect(verifyChallengeSignature("hello", signature, publicKey.export({ type: "spki", format: "der" }))).toBe(false);
  });

  it("rejects a raw r‖s ECDSA signature, Ed25519 keys and garbage keys", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const raw = sign("sha256", Buffer.from(text), { key: ec.privateKey, dsaEncoding: "ieee-p1363" }).toString("base64");
    expect(verifyChallengeSignature(text, raw, ec.publicKey.export({ type: "spki", format: "der" }))).toBe(false);
    const ed = generateKeyPairSync("ed25519");
    expect(
      verifyChallengeSignature(
        text,
        sign(null, Buffer.from(text), ed.privateKey).toString("base64"),
        ed.publicKey.export({ type: "spki", format: "der" }),
      ),
    ).toBe(false);
    expect(verifyChallengeSignature(text, "AAAA", Buffer.from("not a key"))).toBe(false);
  });
});
