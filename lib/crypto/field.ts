import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import type { Config } from "../config";

/**
 * Personal data at rest (ID numbers, phone numbers): AES-256-GCM with FIELD_ENCRYPTION_KEY.
 * `blindIndex` gives a keyed HMAC for equality lookups without decrypting. The key comes from the caller
 * (the configuration, read at the edge): pass the Config itself or any object carrying the key.
 */
export type FieldKeys = Pick<Config, "FIELD_ENCRYPTION_KEY">;

function key(keys: FieldKeys): Buffer {
  return Buffer.from(keys.FIELD_ENCRYPTION_KEY, "hex");
}

export function encryptField(keys: FieldKeys, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(keys), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `v1.${iv.toString("base64url")}.${body.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}`;
}

export function decryptField(keys: FieldKeys, sealed: string): string {
  const [v, iv, body, tag] = sealed.split(".");
  if (v !== "v1" || !iv || !body || !tag) throw new Error("unknown field encryption format");
  const decipher = createDecipheriv("aes-256-gcm", key(keys), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}

export function blindIndex(keys: FieldKeys, value: string): string {
  return createHmac("sha256", key(keys)).update(`field:${value.trim().toUpperCase()}`).digest("hex");
}
