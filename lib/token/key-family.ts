import type { KeyObject } from "node:crypto";
import { DomainError } from "../errors";

/** The key types a token holds for a holder certificate: what a renewal key must match. */
export type KeyFamily = { type: "rsa"; bits: number } | { type: "ec"; curve: "P-256" | "P-384" };

const CURVES: Record<string, "P-256" | "P-384"> = {
  prime256v1: "P-256",
  "P-256": "P-256",
  secp384r1: "P-384",
  "P-384": "P-384",
};

export function keyFamilyOf(key: KeyObject): KeyFamily {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa" && details.modulusLength) return { type: "rsa", bits: details.modulusLength };
  const curve = key.asymmetricKeyType === "ec" && details.namedCurve ? CURVES[details.namedCurve] : undefined;
  if (curve) return { type: "ec", curve };
  throw new DomainError("TOKEN_KEY_UNSUPPORTED", {
    algorithm: `${key.asymmetricKeyType ?? "?"} ${details.namedCurve ?? details.modulusLength ?? ""}`.trim(),
  });
}
