import { createPrivateKey, createPublicKey, createSign, createVerify, type KeyObject } from "node:crypto";

/** Alipay's RSA2 signing string: non-empty fields but the excluded ones, sorted by name, `k=v` joined by `&`, values raw. */
export function signingString(params: Record<string, string>, exclude: readonly string[]): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== "" && params[k] !== undefined)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("&");
}

// node:crypto parses and checks a PEM key on every sign or verify that is given one: an RSA-2048 private key costs
// ~1.3 ms each time, four times the signature itself. The emulator's keys are few (its identity, the app's public
// key, the forged-signature fault's stranger), so each is parsed once.
const parsed = new Map<string, KeyObject>();
const MAX_KEYS = 16;

function keyOf(pem: string, kind: "private" | "public"): KeyObject {
  let key = parsed.get(pem);
  if (!key) {
    key = kind === "private" ? createPrivateKey(pem) : createPublicKey(pem);
    if (parsed.size >= MAX_KEYS) parsed.clear();
    parsed.set(pem, key);
  }
  return key;
}

export function rsa2Sign(content: string, privateKeyPem: string): string {
  return createSign("RSA-SHA256").update(content, "utf8").sign(keyOf(privateKeyPem, "private"), "base64");
}

export function rsa2Verify(content: string, signature: string, publicKeyPem: string): boolean {
  try {
    return createVerify("RSA-SHA256")
      .update(content, "utf8")
      .verify(keyOf(publicKeyPem, "public"), signature, "base64");
  } catch {
    return false;
  }
}
