import "@/tests/helpers/env";
import { execFileSync } from "node:child_process";
import { createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainError } from "@/lib/errors";
import { createCsr } from "../dev/testing/csr-build";
import * as asn1js from "asn1js";
import { bitStringBytes, elementsOf, fromDer, rawOf } from "./asn1";
import { assertRekey, CSR_MAX_BYTES, parseCsr, readRequest } from "./csr";
import { parseCsrAsync } from "../dev/testing/csr";
import { bits, children, explicit, nul, oid, raw, readAll, seq, set, tlv, uint, utf8 } from "./der";
import { encodeName } from "./name";
import { OID } from "./oids";
import { derToPem } from "@/tests/helpers/pem";
import { generateSm2KeyPair, SM2_OIDS, sm2Sign, sm2SpkiEncode } from "../crypto/sm2";

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

/** A request made by `openssl req -new -newkey <args…>` for CN=x, as PEM. */
function opensslCsr(...newkey: string[]): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), "csr-"));
  const out = path.join(dir, "r.pem");
  execFileSync(
    "openssl",
    ["req", "-new", "-newkey", ...newkey, "-nodes", "-subj", "/CN=x", "-keyout", path.join(dir, "k"), "-out", out],
    {
      stdio: "ignore",
    },
  );
  return readFileSync(out);
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
    execFileSync(
      "openssl",
      [
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=x",
        "-keyout",
        path.join(dir, "k"),
        "-out",
        path.join(dir, "r.pem"),
      ],
      { stdio: "ignore" },
    );
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
    const tampered = Buffer.from(
      createCsr(P256, { C: "CN", CN: "alice" }).toString("latin1").replace("alice", "alicf"),
      "latin1",
    );
    expect(code(() => parseCsr(tampered))).toBe("CSR_INVALID_SIGNATURE");
  });

  it("refuses RSA under 2048 bits as CSR_WEAK_KEY", () => {
    expect(code(() => parseCsr(createCsr(rsa(1024))))).toBe("CSR_WEAK_KEY");
  });

  it("refuses curves other than P-256/P-384 and non-RSA/EC keys as CSR_UNSUPPORTED_ALGORITHM", () => {
    expect(code(() => parseCsr(createCsr(ec("secp256k1"))))).toBe("CSR_UNSUPPORTED_ALGORITHM");
    expect(code(() => parseCsr(createCsr(ec("P-521"))))).toBe("CSR_UNSUPPORTED_ALGORITHM");
    expect(code(() => parseCsr(opensslCsr("ed25519")))).toBe("CSR_UNSUPPORTED_ALGORITHM");
  });

  it("refuses a SHA-1 signed request as CSR_UNSUPPORTED_ALGORITHM", () => {
    expect(code(() => parseCsr(opensslCsr("rsa:2048", "-sha1")))).toBe("CSR_UNSUPPORTED_ALGORITHM");
  });

  it("checks the version, the attributes, the subject's shape and the RSA modulus sign", () => {
    // a request is re-signed after each edit, so only the checked field makes it fail
    const key = rsa(2048);
    const signed = (info: Buffer) =>
      seq(info, seq(oid(OID.sha256WithRSA), nul()), bits(cryptoSign("sha256", info, key)));
    const spki = createPublicKey(key).export({ type: "spki", format: "der" });
    const name = encodeName({ C: "CN", CN: "x" });
    expect(parseCsr(signed(seq(uint(0), name, spki, explicit(0)))).keyAlgorithm).toBe("RSA-2048");
    expect(code(() => parseCsr(signed(seq(uint(1), name, spki, explicit(0)))))).toBe("CSR_MALFORMED");
    expect(code(() => parseCsr(signed(seq(uint(0), name, spki))))).toBe("CSR_MALFORMED");
    expect(code(() => parseCsr(signed(seq(uint(0), name, spki, explicit(0), nul()))))).toBe("CSR_MALFORMED");
    // attributes that are not SEQUENCE { OID, SET }, a subject that is not a Name, signature parameters other than NULL
    expect(
      parseCsr(signed(seq(uint(0), name, spki, explicit(0, seq(oid(OID.ecdsaSha256), set(utf8("x"))))))),
    ).toBeTruthy();
    expect(
      code(() => parseCsr(signed(seq(uint(0), name, spki, explicit(0, seq(oid(OID.ecdsaSha256), utf8("x"))))))),
    ).toBe("CSR_MALFORMED");
    expect(
      code(() => parseCsr(signed(seq(uint(0), seq(seq(oid(OID.ecdsaSha256), utf8("x"))), spki, explicit(0))))),
    ).toBe("CSR_MALFORMED");
    expect(code(() => parseCsr(signed(seq(uint(0), seq(set(seq(utf8("x"), utf8("x")))), spki, explicit(0)))))).toBe(
      "CSR_MALFORMED",
    );
    // a subject value nested past any real name: refused before the signature is even checked
    let deep: Buffer = nul();
    for (let i = 0; i < 40; i++) deep = seq(deep);
    expect(
      code(() => parseCsr(signed(seq(uint(0), seq(set(seq(oid(OID.ecdsaSha256), deep))), spki, explicit(0))))),
    ).toBe("CSR_MALFORMED");
    const info = seq(uint(0), name, spki, explicit(0));
    expect(
      code(() => parseCsr(seq(info, seq(oid(OID.sha256WithRSA), uint(0)), bits(cryptoSign("sha256", info, key))))),
    ).toBe("CSR_MALFORMED");
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
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => onlyDomain(Buffer.from(b))),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(mutatedRequests(good), (inputs) => inputs.forEach(onlyDomain)),
      { numRuns: 3000 },
    );
  });
});

describe("parseCsr with SM2 keys (GM/T 0010 requests)", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "csr-sm2-"));
  const sm2CsrParts = (pair = generateSm2KeyPair()) => {
    const [info] = children(readAll(createCsr(pair)));
    return { pair, info: raw(info!) };
  };
  const assemble = (info: Buffer, alg: Buffer, sig: Buffer) => seq(info, alg, bits(sig));
  const SM2_ALG = seq(oid(SM2_OIDS.sm2WithSm3));

  it("accepts an SM2 request made on the key and reports SM2; openssl req -verify accepts it with the default ID", () => {
    const pair = generateSm2KeyPair();
    const der = createCsr(pair);
    const csr = parseCsr(der);
    expect(csr.keyAlgorithm).toBe("SM2");
    expect(csr.spki.equals(sm2SpkiEncode(pair.publicKey))).toBe(true);
    const out = execFileSync(
      "openssl",
      ["req", "-verify", "-noout", "-inform", "DER", "-vfyopt", "distid:1234567812345678"],
      {
        input: der,
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    expect(out.toString()).toBe("");
  });

  it("accepts openssl's SM2 request signed with the default ID, refuses one signed with another ID", () => {
    const key = path.join(dir, "k.pem");
    execFileSync("openssl", ["genpkey", "-algorithm", "SM2", "-out", key]);
    const req = (distid: string) =>
      execFileSync("openssl", [
        "req",
        "-new",
        "-key",
        key,
        "-sm3",
        "-subj",
        "/CN=sm2",
        "-outform",
        "DER",
        "-sigopt",
        `distid:${distid}`,
      ]);
    expect(parseCsr(req("1234567812345678")).keyAlgorithm).toBe("SM2");
    expect(code(() => parseCsr(req("another-id")))).toBe("CSR_INVALID_SIGNATURE");
  });

  it("refuses a tampered SM2 request or a signature by another key as CSR_INVALID_SIGNATURE", () => {
    const { pair, info } = sm2CsrParts();
    const other = generateSm2KeyPair();
    expect(code(() => parseCsr(assemble(info, SM2_ALG, sm2Sign(info, other.privateKey))))).toBe(
      "CSR_INVALID_SIGNATURE",
    );
    expect(code(() => parseCsr(assemble(info, SM2_ALG, sm2Sign(info, pair.privateKey, { id: "x" }))))).toBe(
      "CSR_INVALID_SIGNATURE",
    );
    expect(parseCsr(assemble(info, SM2_ALG, sm2Sign(info, pair.privateKey))).keyAlgorithm).toBe("SM2");
  });

  it("refuses ECDSA over an SM2 key, and SM2-with-SM3 over a P-256 key, as CSR_UNSUPPORTED_ALGORITHM", () => {
    const { info } = sm2CsrParts();
    const ecdsa = assemble(info, seq(oid(OID.ecdsaSha256)), Buffer.from("3006020101020101", "hex"));
    expect(code(() => parseCsr(ecdsa))).toBe("CSR_UNSUPPORTED_ALGORITHM");
    const [p256Info] = children(readAll(createCsr(P256)));
    const mixed = assemble(raw(p256Info!), SM2_ALG, Buffer.from("3006020101020101", "hex"));
    expect(code(() => parseCsr(mixed))).toBe("CSR_UNSUPPORTED_ALGORITHM");
  });

  it("refuses a point off the SM2 curve as CSR_MALFORMED", () => {
    const pair = generateSm2KeyPair();
    const bad = Buffer.from(pair.publicKey);
    bad[64] ^= 1;
    const spki = seq(seq(oid(OID.ecPublicKey), oid(SM2_OIDS.sm2Curve)), bits(bad));
    const info = seq(uint(0), encodeName({ C: "CN", CN: "x" }), spki, explicit(0));
    expect(code(() => parseCsr(assemble(info, SM2_ALG, sm2Sign(info, pair.privateKey))))).toBe("CSR_MALFORMED");
  });

  it("a compressed encoding of the old key is still the old key (CSR_KEY_REUSED)", () => {
    const pair = generateSm2KeyPair();
    const old = parseCsr(createCsr(pair));
    const compressed = Buffer.concat([Buffer.from([2 + (pair.publicKey[64]! & 1)]), pair.publicKey.subarray(1, 33)]);
    const spki = seq(seq(oid(OID.ecPublicKey), oid(SM2_OIDS.sm2Curve)), bits(compressed));
    const info = seq(uint(0), encodeName({ C: "CN", CN: "x" }), spki, explicit(0));
    const again = parseCsr(assemble(info, SM2_ALG, sm2Sign(info, pair.privateKey)));
    expect(code(() => assertRekey(again, old.spkiSha256, true))).toBe("CSR_KEY_REUSED");
  });

  it("throws nothing but DomainError for mutated SM2 requests (fuzz)", () => {
    const good = createCsr(generateSm2KeyPair());
    fc.assert(
      fc.property(mutatedRequests(good), (inputs) => {
        for (const input of inputs) {
          try {
            parseCsr(input);
          } catch (e) {
            if (!(e instanceof DomainError) || !e.code.startsWith("CSR_")) throw e;
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});

/** `good` with one to eight bytes changed, whole and cut short (to one byte at the least): for the fuzz tests. */
function mutatedRequests(good: Buffer) {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(good.length),
    )
    .map(([edits, cut]) => {
      const b = Buffer.from(good);
      for (const [i, v] of edits) b[i] = v;
      return [b, b.subarray(0, Math.max(cut, 1))];
    });
}

/**
 * The request as asn1js reads it: the reference for csr.ts's DER reader. Everything that reader accepts must read
 * the same here (the converse does not hold: asn1js also takes BER, such as indefinite lengths).
 */
function readWithAsn1js(der: Buffer) {
  const [info, alg, sig] = elementsOf(fromDer(der));
  const [, , spki] = elementsOf(info);
  const [keyAlg, key] = elementsOf(spki);
  const [keyOid, params] = elementsOf(keyAlg);
  return {
    info: rawOf(info),
    spki: rawOf(spki),
    algorithm: (keyOid as asn1js.ObjectIdentifier).valueBlock.toString(),
    curve: params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : undefined,
    key: bitStringBytes(key as asn1js.BitString),
    signatureAlgorithm: (elementsOf(alg)[0] as asn1js.ObjectIdentifier).valueBlock.toString(),
    signature: bitStringBytes(sig as asn1js.BitString),
  };
}

describe("readRequest (der.ts) against asn1js", () => {
  const keys = [P256, rsa(2048), ec("P-384")];
  const text = fc.string({ minLength: 1, maxLength: 12 });
  const subject = fc.record(
    { C: fc.constantFrom("CN", "US"), ST: text, O: text, OU: text, CN: text },
    { requiredKeys: ["C", "CN"] },
  );
  const attribute = fc.tuple(
    fc.constantFrom(OID.ecdsaSha256, "1.2.840.113549.1.9.7", "1.3.6.1.4.1.311.13.2.3"),
    fc.array(text, { minLength: 1, maxLength: 3 }),
  );
  const request = fc
    .tuple(fc.nat(keys.length - 1), subject, fc.array(attribute, { maxLength: 3 }))
    .map(([k, fields, attributes]) => {
      const key = keys[k];
      const info = seq(
        uint(0),
        encodeName(fields),
        createPublicKey(key).export({ type: "spki", format: "der" }),
        explicit(0, ...attributes.map(([type, values]) => seq(oid(type), set(...values.map(utf8))))),
      );
      const alg = key.asymmetricKeyType === "rsa" ? seq(oid(OID.sha256WithRSA), nul()) : seq(oid(OID.ecdsaSha256));
      return seq(info, alg, bits(cryptoSign("sha256", info, key)));
    });
  const fields = (r: ReturnType<typeof readRequest>) => ({
    ...r,
    algorithm: r.spkiParts.algorithm,
    curve: r.spkiParts.curve,
    key: r.spkiParts.key,
    spkiParts: undefined,
  });

  it("reads every well-formed request as asn1js does, and parseCsr accepts it", () => {
    fc.assert(
      fc.property(request, (der) => {
        const { spkiParts, ...mine } = fields(readRequest(der));
        expect(spkiParts).toBeUndefined();
        expect(mine).toEqual(readWithAsn1js(der));
        expect(parseCsr(der).der).toBe(der);
      }),
      { numRuns: 200 },
    );
  });

  /** [start, end) of each subject value and attribute value set: contents csr.ts checks for shape only, never reads. */
  function unreadRegions(der: Buffer): [number, number][] {
    const [info] = children(readAll(der));
    const [, subject, , attributes] = children(info);
    const values = children(subject).flatMap((rdn) => children(rdn).map((atv) => children(atv)[1]));
    return [...values, ...children(attributes).map((a) => children(a)[1])].map((n) => [n.start, n.end]);
  }

  it("accepts nothing asn1js reads differently; asn1js refuses only the contents of values csr.ts never reads (one byte changed)", () => {
    const counts = { accepted: 0, same: 0, unreadContents: 0 };
    fc.assert(
      fc.property(request, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (der, at, value, cut) => {
        const b = Buffer.from(der);
        const i = at % b.length;
        b[i] = value;
        for (const input of [b, b.subarray(0, Math.max(1, cut % b.length))]) {
          let mine: ReturnType<typeof fields> | undefined;
          try {
            mine = fields(readRequest(input));
          } catch (e) {
            expect(e).toBeInstanceOf(DomainError);
          }
          if (!mine) continue;
          counts.accepted++;
          const { spkiParts: _, ...rest } = mine;
          let theirs: ReturnType<typeof readWithAsn1js> | undefined;
          try {
            theirs = readWithAsn1js(input);
          } catch {
            // asn1js also validates contents (times, string lengths, reserved tags): only inside the unread values
            const regions = unreadRegions(der);
            expect(regions.some(([start, end]) => i >= start && i < end)).toBe(true);
            counts.unreadContents++;
            continue;
          }
          expect(rest).toEqual(theirs);
          counts.same++;
        }
      }),
      { numRuns: 2000 },
    );
    // an edit inside a name, key or signature keeps the structure: the property was exercised, not skipped
    expect(counts.same).toBeGreaterThan(500);
  });
});
