import { createPublicKey, type KeyObject } from "node:crypto";
import { isSm2Spki } from "../crypto/sm2";
import { DomainError } from "../errors";

/** The key types a token holds for a holder certificate: what a renewal key must match. */
export type KeyFamily = { type: "rsa"; bits: number } | { type: "ec"; curve: "P-256" | "P-384" } | { type: "sm2" };

const CURVES: Record<string, "P-256" | "P-384"> = {
  prime256v1: "P-256",
  "P-256": "P-256",
  secp384r1: "P-384",
  "P-384": "P-384",
};

/** Node reads SM2 keys into KeyObjects without a key type: recognise them by their SubjectPublicKeyInfo. */
function isSm2Key(key: KeyObject): boolean {
  if (key.asymmetricKeyType !== undefined) return false;
  try {
    const pub = key.type === "public" ? key : createPublicKey(key);
    return isSm2Spki(pub.export({ type: "spki", format: "der" }));
  } catch {
    return false;
  }
}

export function keyFamilyOf(key: KeyObject): KeyFamily {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa" && details.modulusLength) return { type: "rsa", bits: details.modulusLength };
  const curve = key.asymmetricKeyType === "ec" && details.namedCurve ? CURVES[details.namedCurve] : undefined;
  if (curve) return { type: "ec", curve };
  if (isSm2Key(key)) return { type: "sm2" };
  throw new DomainError("TOKEN_KEY_UNSUPPORTED", {
    algorithm: `${key.asymmetricKeyType ?? "?"} ${details.namedCurve ?? details.modulusLength ?? ""}`.trim(),
  });
}
