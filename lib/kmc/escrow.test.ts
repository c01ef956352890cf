import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ESCROW_FORMAT, openEscrow, sealEscrow } from "./escrow";

const master = { key: Buffer.from("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "hex") };

describe("KMC escrow (SM4-CBC + HMAC-SM3 under the master key)", () => {
  const secret = randomBytes(32);
  const sealed = sealEscrow(master, secret, "spki-a");

  it("opens under the same master key and identity, and never holds the secret in clear", () => {
    expect(openEscrow(master, ESCROW_FORMAT, sealed, "spki-a").equals(secret)).toBe(true);
    expect(sealed.includes(secret)).toBe(false);
    expect(sealed).toHaveLength(16 + 48 + 32);
  });

  it("refuses another master key, another key's identity, a changed byte and an unknown format", () => {
    expect(() => openEscrow({ key: randomBytes(16) }, ESCROW_FORMAT, sealed, "spki-a")).toThrow(/does not verify/);
    expect(() => openEscrow(master, ESCROW_FORMAT, sealed, "spki-b")).toThrow(/does not verify/);
    for (const offset of [0, 20, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[offset] ^= 1;
      expect(() => openEscrow(master, ESCROW_FORMAT, tampered, "spki-a")).toThrow(/does not verify/);
    }
    expect(() => openEscrow(master, "AES-GCM:v9", sealed, "spki-a")).toThrow(/unknown escrow format/);
  });

  it("seals the same key differently each time (random IV)", () => {
    expect(sealEscrow(master, secret, "spki-a").equals(sealed)).toBe(false);
  });
});
