import "@/tests/helpers/env";
import { execFileSync } from "node:child_process";
import { createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainError } from "@/lib/errors";
import { assertRekey, CSR_MAX_BYTES, parseCsr, parseCsrAsync } from "./csr";
import { createCsr } from "./csr-build";
import { bits, children, explicit, nul, oid, raw, readAll, seq, tlv, uint } from "./der";
import { encodeName } from "./name";
import { OID } from "./oids";
import { derToPem } from "./x509";

const ec = (namedCurve: string) => generateKeyPairSync("ec", { namedCurve }).privateKey;
const rsa = (modulusLength: number) => generateKeyPairSync("rsa", { modulusLength }).privateKey;
const P256 = ec("P-256");

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  return undefined;
}

describe("parseCsr", () => {
  it.each([
    ["EC P-256", P256, "EC-P256"],
    ["EC P-384", ec("P-384"), "EC-P384"],
    ["RSA 2048", rsa(2048), "RSA-2048"],
    ["RSA 3072", rsa(3072), "RSA-3072"],
  ] as [string, KeyObject, string][])("accepts a %s request and reports its key", (_, key, algorithm) => {
    const csr = parseCsr(createCsr(key));
    expect(csr.keyAlgorithm).toBe(algorithm);
    expect(csr.spkiSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("accepts PEM text and PEM bytes made by openssl req", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "csr-"));
    execFileSync("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=x", "-keyout", path.join(dir, "k"), "-out", path.join(dir, "r.pem")], { stdio: "ignore" });
    const pem = readFileSync(path.join(dir, "r.pem"));
    expect(parseCsr(pem).keyAlgorithm).toBe("RSA-2048");
    expect(parseCsr(pem.toString()).der[0]).toBe(0x30);
  });

  it("refuses garbage and truncated requests as CSR_MALFORMED", () => {
    const good = createCsr(P256);
    expect(code(() => parseCsr(Buffer.from("hello world")))).toBe("CSR_MALFORMED");
    expect(code(() => parseCsr(good.subarray(0, good.length - 5)))).toBe("CSR_MALFORMED");
    expect(code(() => parseCsr(Buffer.concat([good, Buffer.from([0])])))).toBe("CSR_MALFORMED");
    expect(code(() => parseCsr(derToPem(good, "CERTIFICATE")))).toBe("CSR_MALFORMED");
    expect(code(() => parseCsr(Buffer.alloc(0)))).toBe("CSR_MALFORMED");
  });

  it("refuses a request over 16 KiB as CSR_TOO_LARGE", () => {
    expect(code(() => parseCsr(Buffer.alloc(CSR_MAX_BYTES + 1, 0x30)))).toBe("CSR_TOO_LARGE");
    expect(code(() => parseCsr("A".repeat(CSR_MAX_BYTES * 2 + 1)))).toBe("CSR_TOO_LARGE");
  });

  it("refuses a request whose signature does not verify as CSR_INVALID_SIGNATURE", async () => {
    const good = createCsr(P256);
    const badSig = Buffer.from(good);
    badSig[badSig.length - 3] ^= 0x01;
    expect(code(() => parseCsr(badSig))).toBe("CSR_INVALID_SIGNATURE");
    await expect(parseCsrAsync(badSig)).rejects.toMatchObject({ code: "CSR_INVALID_SIGNATURE" });
    // same structure, content changed after signing (a byte of the CN)
    const tampered = Buffer.from(createCsr(P256, { C: "CN", CN: "alice" }).toString("latin1").replace("alice", "alicf"), "latin1");
    expect(code(() => parseCsr(tampered))).toBe("CSR_INVALID_SIGNATURE");
  });

  it("refuses RSA under 2048 bits as CSR_WEAK_KEY", () => {
    expect(code(() => parseCsr(createCsr(rsa(1024))))).toBe("CSR_WEAK_KEY");
  });

  it("refuses curves other than P-256/P-384 and non-RSA/EC keys as CSR_UNSUPPORTED_ALGORITHM", () => {
    expect(code(() => parseCsr(createCsr(ec("secp256k1"))))).toBe("CSR_UNSUPPORTED_ALGORITHM");
    expect(code(() => parseCsr(createCsr(ec("P-521"))))).toBe("CSR_UNSUPPORTED_ALGORITHM");
    const dir = mkdtempSync(path.join(os.tmpdir(), "csr-"));
    execFileSync("openssl", ["req", "-new", "-newkey", "ed25519", "-nodes", "-subj", "/CN=x", "-keyout", path.join(dir, "k"), "-out", path.join(dir, "r.pem")], { stdio: "ignore" });
    expect(code(() => parseCsr(readFileSync(path.join(dir, "r.pem"))))).toBe("CSR_UNSUPPORTED_ALGORITHM");
  });

  it("refuses a SHA-1 signed request as CSR_UNSUPPORTED_ALGORITHM", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "csr-"));
    execFileSync("openssl", ["req", "-new", "-newkey", "rsa:2048", "-sha1", "-nodes", "-subj", "/CN=x", "-keyout", path.join(dir, "k"), "-out", path.join(dir, "r.pem")], { stdio: "ignore" });
    expect(code(() => parseCsr(readFileSync(path.join(dir, "r.pem"))))).toBe("CSR_UNSUPPORTED_ALGORITHM");
  });

  it("reads the request from its asn1js tree: version, attributes and the RSA modulus sign are checked", () => {
    // a request is re-signed after each edit, so only the checked field makes it fail
    const key = rsa(2048);
    const signed = (info: Buffer) => seq(info, seq(oid(OID.sha256WithRSA), nul()), bits(cryptoSign("sha256", info, key)));
    const spki = createPublicKey(key).export({ type: "spki", format: "der" });
    const name = encodeName({ C: "CN", CN: "x" });
    expect(parseCsr(signed(seq(uint(0), name, spki, explicit(0)))).keyAlgorithm).toBe("RSA-2048");
    expect(code(() => parseCsr(signed(seq(uint(1), name, spki, explicit(0)))))).toBe("CSR_MALFORMED");
    expect(code(() => parseCsr(signed(seq(uint(0), name, spki))))).toBe("CSR_MALFORMED");
    expect(code(() => parseCsr(signed(seq(uint(0), name, spki, explicit(0), nul()))))).toBe("CSR_MALFORMED");
    // the same modulus with its sign byte dropped is a negative INTEGER: OpenSSL's PKCS#1 import would take it
    const pkcs1 = createPublicKey(key).export({ type: "pkcs1", format: "der" });
    const [n, e] = children(readAll(pkcs1));
    expect(pkcs1[n.contentStart]).toBe(0);
    const negative = seq(tlv(0x02, pkcs1.subarray(n.contentStart + 1, n.end)), raw(e));
    const badSpki = seq(seq(oid(OID.rsaEncryption), nul()), bits(negative));
    expect(code(() => parseCsr(signed(seq(uint(0), name, badSpki, explicit(0)))))).toBe("CSR_MALFORMED");
  });

  it("refuses the old certificate's key when the profile requires a new key pair", () => {
    const csr = parseCsr(createCsr(P256));
    expect(code(() => assertRekey(csr, csr.spkiSha256, true))).toBe("CSR_KEY_REUSED");
    expect(code(() => assertRekey(csr, csr.spkiSha256, false))).toBeUndefined();
    expect(code(() => assertRekey(csr, "0".repeat(64), true))).toBeUndefined();
  });

  it("throws nothing but DomainError for arbitrary bytes and mutated requests (fuzz)", () => {
    const good = createCsr(P256);
    const onlyDomain = (input: Buffer) => {
      try {
        parseCsr(input);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => onlyDomain(Buffer.from(b))), { numRuns: 2000 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(good.length), (edits, cut) => {
        const b = Buffer.from(good);
        for (const [i, v] of edits) b[i] = v;
        onlyDomain(b.subarray(0, Math.max(cut, 1)));
        onlyDomain(b);
      }),
      { numRuns: 3000 },
    );
  });
});
