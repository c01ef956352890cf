import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { blindIndex, decryptField, encryptField, fieldAlgorithmOf, type FieldKeys } from "./field";
import { hmacSm3 } from "./sm2";

const KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const intl: FieldKeys = { FIELD_ENCRYPTION_KEY: KEY, CRYPTO_SUITE: "intl" };
const gm: FieldKeys = { FIELD_ENCRYPTION_KEY: KEY, CRYPTO_SUITE: "gm" };
const ID = "37010119900101123X";

describe("field encryption", () => {
  it("seals with AES-256-GCM by default and with SM4 + HMAC-SM3 under CRYPTO_SUITE=gm, naming the algorithm", () => {
    const a = encryptField({ FIELD_ENCRYPTION_KEY: KEY }, ID);
    const b = encryptField(intl, ID);
    const g = encryptField(gm, ID);
    expect([a, b, g].map(fieldAlgorithmOf)).toEqual(["aes-256-gcm", "aes-256-gcm", "sm4-ctr-hmac-sm3"]);
    expect(g.startsWith("g1.")).toBe(true);
    expect(g).not.toContain(ID);
    expect(encryptField(gm, ID)).not.toBe(g); // fresh IV each time
  });

  it("opens values of either suite whatever the suite is now (existing data keeps working)", () => {
    for (const sealer of [intl, gm])
      for (const opener of [intl, gm]) expect(decryptField(opener, encryptField(sealer, ID))).toBe(ID);
    expect(decryptField(gm, encryptField(gm, "手机 13800138000"))).toBe("手机 13800138000");
    expect(decryptField(gm, encryptField(gm, ""))).toBe("");
  });

  it("the SM4 part is SM4-CTR as openssl computes it, under the key derived with HMAC-SM3", () => {
    const [, iv, body] = encryptField(gm, ID).split(".");
    const enc = hmacSm3(Buffer.from(KEY, "hex"), Buffer.from("certrenew field sm4")).subarray(0, 16);
    const out = execFileSync(
      "openssl",
      ["enc", "-d", "-sm4-ctr", "-K", enc.toString("hex"), "-iv", Buffer.from(iv!, "base64url").toString("hex")],
      { input: Buffer.from(body!, "base64url") },
    );
    expect(out.toString()).toBe(ID);
  });

  it("refuses a tampered SM4 value, another key, and unknown formats", () => {
    const g = encryptField(gm, ID);
    const parts = g.split(".");
    const flipped = Buffer.from(parts[2]!, "base64url");
    flipped[0] ^= 1;
    expect(() => decryptField(gm, [parts[0], parts[1], flipped.toString("base64url"), parts[3]].join("."))).toThrow(
      /authentication/,
    );
    expect(() => decryptField({ FIELD_ENCRYPTION_KEY: "ff".repeat(32), CRYPTO_SUITE: "gm" }, g)).toThrow();
    expect(() => decryptField(gm, `g2.${parts.slice(1).join(".")}`)).toThrow(/format/);
    expect(() => decryptField(gm, `${g}.x`)).toThrow(/format/);
    expect(fieldAlgorithmOf("x1.a.b.c")).toBeUndefined();
  });

  it("keeps the blind index independent of the suite (lookups of existing rows keep matching)", () => {
    expect(blindIndex(gm, ID)).toBe(blindIndex(intl, ID));
  });
});
