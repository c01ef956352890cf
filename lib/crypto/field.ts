import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Config } from "../config";
import { hmacSm3, sm4Decrypt, sm4Encrypt } from "./sm2";

/**
 * Personal data at rest (ID numbers, phone numbers), sealed with FIELD_ENCRYPTION_KEY. Each value names its
 * algorithm in its first part, so values sealed under either suite keep opening whatever CRYPTO_SUITE says now:
 *
 *   v1.<iv>.<ciphertext>.<tag>   AES-256-GCM (CRYPTO_SUITE=intl, the default)
 *   g1.<iv>.<ciphertext>.<mac>   SM4-CTR, then HMAC-SM3 over "g1.<iv>.<ciphertext>" (CRYPTO_SUITE=gm; Node's
 *                                OpenSSL has no SM4-GCM, so encrypt-then-MAC), keys derived from the one key:
 *                                SM4 key = HMAC-SM3(key, "certrenew field sm4")[0..16),
 *                                MAC key = HMAC-SM3(key, "certrenew field hmac-sm3")
 *
 * (base64url parts). `blindIndex` gives a keyed HMAC for equality lookups without decrypting. The key comes from
 * the caller (the configuration, read at the edge): pass the Config itself or any object carrying the key;
 * without CRYPTO_SUITE new values are sealed with AES-256-GCM.
 */
export type FieldKeys = Pick<Config, "FIELD_ENCRYPTION_KEY"> & Partial<Pick<Config, "CRYPTO_SUITE">>;

/** The algorithm a sealed value names (what a re-encryption job looks at), or undefined for an unknown format. */
export type FieldAlgorithm = "aes-256-gcm" | "sm4-ctr-hmac-sm3";

const PREFIX: Record<string, FieldAlgorithm> = { v1: "aes-256-gcm", g1: "sm4-ctr-hmac-sm3" };

function key(keys: FieldKeys): Buffer {
  return Buffer.from(keys.FIELD_ENCRYPTION_KEY, "hex");
}

function gmKeys(keys: FieldKeys): { enc: Buffer; mac: Buffer } {
  const k = key(keys);
  return {
    enc: hmacSm3(k, Buffer.from("certrenew field sm4")).subarray(0, 16),
    mac: hmacSm3(k, Buffer.from("certrenew field hmac-sm3")),
  };
}

export function fieldAlgorithmOf(sealed: string): FieldAlgorithm | undefined {
  return PREFIX[sealed.slice(0, sealed.indexOf("."))];
}

export function encryptField(keys: FieldKeys, plain: string): string {
  if (keys.CRYPTO_SUITE === "gm") {
    const { enc, mac } = gmKeys(keys);
    const iv = randomBytes(16);
    const body = sm4Encrypt(enc, Buffer.from(plain, "utf8"), { mode: "ctr", iv });
    const head = `g1.${iv.toString("base64url")}.${body.toString("base64url")}`;
    return `${head}.${hmacSm3(mac, Buffer.from(head)).toString("base64url")}`;
  }
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(keys), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `v1.${iv.toString("base64url")}.${body.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}`;
}

export function decryptField(keys: FieldKeys, sealed: string): string {
  const [v, iv, body, tag, extra] = sealed.split(".");
  if (!iv || body === undefined || !tag || extra !== undefined) throw new Error("unknown field encryption format");
  if (v === "g1") {
    const { enc, mac } = gmKeys(keys);
    const expected = hmacSm3(mac, Buffer.from(`g1.${iv}.${body}`));
    const given = Buffer.from(tag, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new Error("field authentication failed");
    const ivBytes = Buffer.from(iv, "base64url");
    if (ivBytes.length !== 16) throw new Error("unknown field encryption format");
    return sm4Decrypt(enc, Buffer.from(body, "base64url"), { mode: "ctr", iv: ivBytes }).toString("utf8");
  }
  if (v !== "v1" || !body) throw new Error("unknown field encryption format");
  const decipher = createDecipheriv("aes-256-gcm", key(keys), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}

export function blindIndex(keys: FieldKeys, value: string): string {
  return createHmac("sha256", key(keys)).update(`field:${value.trim().toUpperCase()}`).digest("hex");
}
