import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sm2 as gm2 } from "sm-crypto-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decryptSm2PrivateKeyPem,
  generateSm2KeyPair,
  SM2_DEFAULT_ID,
  sm2Digest,
  sm2Implementation,
  sm2Pkcs8Encode,
  sm2Sign,
  sm2SigningKey,
  sm2SpkiEncode,
  sm2Verify,
  sm2VerifyDigest,
  useSm2Implementation,
} from "./sm2";
import { loadSm2Native, type Sm2Native } from "./sm2-native";

// SM2 through OpenSSL's EVP API (koffi) checked against the openssl CLI and sm-crypto-v2, both directions.

const dir = mkdtempSync(path.join(os.tmpdir(), "sm2-native-"));
/** Writes `data` to a scratch file for the openssl CLI (or names one for openssl to write) and gives its path. */
function file(name: string, data?: Uint8Array | string): string {
  const at = path.join(dir, name);
  if (data === undefined) return at;
  writeFileSync(at, data);
  return at;
}
/** openssl's binary stdout (signatures, DER keys). */
const openssl = (...args: string[]): Buffer => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
/** `openssl dgst -sm3 -verify` with the given distinguishing ID: whether openssl says "Verified OK". */
function opensslVerifies(pubDer: Buffer, data: Buffer, sig: Buffer, id = SM2_DEFAULT_ID): boolean {
  const tag = Math.random().toString(36).slice(2);
  const r = spawnSync(
    "openssl",
    [
      ...["dgst", "-sm3", "-verify", file(`${tag}.pub.der`, pubDer), "-keyform", "DER"],
      ...["-sigopt", `distid:${id}`, "-signature", file(`${tag}.sig`, sig), file(`${tag}.data`, data)],
    ],
    { encoding: "utf8" },
  );
  return r.status === 0 && r.stdout.includes("Verified OK");
}
/** sm-crypto-v2 on its own (not through lib/crypto/sm2): DER signature, SM3 with Z of the ID. */
const jsVerifies = (data: Buffer, sig: Buffer, publicKey: Buffer, id = SM2_DEFAULT_ID) =>
  gm2.doVerifySignature(Uint8Array.from(data), sig.toString("hex"), publicKey.toString("hex"), {
    der: true,
    hash: true,
    userId: id,
  });
const jsSigns = (data: Buffer, privateKey: Buffer, publicKey: Buffer, id = SM2_DEFAULT_ID) =>
  Buffer.from(
    gm2.doSignature(Uint8Array.from(data), privateKey.toString("hex"), {
      der: true,
      hash: true,
      publicKey: publicKey.toString("hex"),
      userId: id,
    }),
    "hex",
  );

let n: Sm2Native;
beforeAll(() => {
  n = loadSm2Native();
  useSm2Implementation("native");
});
afterAll(() => {
  useSm2Implementation(((process.env.SM2_IMPL as "js" | "native" | undefined) ?? "auto") || "auto");
  rmSync(dir, { recursive: true, force: true });
});

const data = Buffer.from("证书续期 native SM2 0123456789".repeat(5));

describe("SM2 through OpenSSL (koffi)", () => {
  it("loads an OpenSSL 3 and reports it; the seam uses it when SM2_IMPL=native", () => {
    expect(n.library).toMatch(/^OpenSSL 3\./);
    expect(sm2Implementation()).toEqual({ impl: "native", library: n.library });
  });

  it("native signatures verify with openssl dgst -sigopt distid:1234567812345678 and with sm-crypto-v2", () => {
    const kp = generateSm2KeyPair();
    const spki = sm2SpkiEncode(kp.publicKey);
    const key = n.privateKey(sm2Pkcs8Encode(kp.privateKey, kp.publicKey));
    try {
      const viaEvp = n.sign(key, data, SM2_DEFAULT_ID);
      const viaDigest = n.signDigest(key, sm2Digest(data, kp.publicKey));
      const viaSeam = sm2Sign(data, kp.privateKey);
      for (const sig of [viaEvp, viaDigest, viaSeam]) {
        expect(opensslVerifies(spki, data, sig)).toBe(true);
        expect(jsVerifies(data, sig, kp.publicKey)).toBe(true);
        // the same signature is not one for other data, nor under another ID
        expect(opensslVerifies(spki, Buffer.concat([data, Buffer.from("!")]), sig)).toBe(false);
        expect(opensslVerifies(spki, data, sig, "1234567812345679")).toBe(false);
        expect(jsVerifies(data, sig, kp.publicKey, "alice@example")).toBe(false);
      }
    } finally {
      key.free();
    }
  });

  it("signs with another signer ID when asked, and only that ID verifies", () => {
    const kp = generateSm2KeyPair();
    const sig = sm2Sign(data, kp.privateKey, { publicKey: kp.publicKey, id: "alice@example.cn" });
    expect(opensslVerifies(sm2SpkiEncode(kp.publicKey), data, sig, "alice@example.cn")).toBe(true);
    expect(opensslVerifies(sm2SpkiEncode(kp.publicKey), data, sig)).toBe(false);
    expect(sm2Verify(data, sig, kp.publicKey, "alice@example.cn")).toBe(true);
    expect(sm2Verify(data, sig, kp.publicKey)).toBe(false);
  });

  it("openssl's and sm-crypto-v2's signatures verify natively; tampered ones, other keys and other IDs do not", () => {
    const pem = file("ossl.pem");
    openssl("genpkey", "-algorithm", "SM2", "-out", pem);
    const pair = decryptSm2PrivateKeyPem(readFileSync(pem));
    const osslSig = openssl(
      ...["dgst", "-sm3", "-sign", pem, "-sigopt", "distid:1234567812345678"],
      file("ossl.data", data),
    );
    const jsSig = jsSigns(data, pair.privateKey, pair.publicKey);
    const otherKey = generateSm2KeyPair().publicKey;
    for (const sig of [osslSig, jsSig]) {
      expect(sm2Verify(data, sig, pair.publicKey)).toBe(true);
      expect(sm2Verify(data, sig, sm2SpkiEncode(pair.publicKey))).toBe(true);
      expect(sm2VerifyDigest(sm2Digest(data, pair.publicKey), sig, pair.publicKey)).toBe(true);
      const key = n.publicKeyFromPoint(pair.publicKey)!;
      const viaSpki = n.publicKey(sm2SpkiEncode(pair.publicKey))!;
      try {
        expect(n.verify(key, data, sig, SM2_DEFAULT_ID)).toBe(true);
        expect(n.verify(viaSpki, data, sig, SM2_DEFAULT_ID)).toBe(true);
        expect(n.verify(key, data, sig, "1234567812345670")).toBe(false);
      } finally {
        key.free();
        viaSpki.free();
      }
      expect(sm2Verify(Buffer.from(data).fill(0x20, 3, 4), sig, pair.publicKey)).toBe(false);
      expect(sm2Verify(data, sig, otherKey)).toBe(false);
      expect(sm2Verify(data, sig, pair.publicKey, "alice@example.cn")).toBe(false);
      // every single-byte change of the signature is refused (malformed DER or a wrong r, s)
      for (let i = 0; i < sig.length; i++) {
        const bad = Buffer.from(sig);
        bad[i] ^= 0x01;
        expect(sm2Verify(data, bad, pair.publicKey)).toBe(false);
      }
      // trailing bytes after the DER signature
      expect(sm2Verify(data, Buffer.concat([sig, Buffer.from([0])]), pair.publicKey)).toBe(false);
    }
  });

  it("reads openssl's SM2 PKCS#8 and signs what openssl verifies; refuses non-SM2 keys and points off the curve", () => {
    const pem = file("ossl2.pem");
    openssl("genpkey", "-algorithm", "SM2", "-out", pem);
    const der = openssl("pkey", "-in", pem, "-outform", "DER");
    const pub = openssl("pkey", "-in", pem, "-pubout", "-outform", "DER");
    const key = n.privateKey(der);
    try {
      expect(opensslVerifies(pub, data, n.sign(key, data, SM2_DEFAULT_ID))).toBe(true);
    } finally {
      key.free();
      key.free(); // twice is harmless
    }
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(() => n.privateKey(p256.privateKey.export({ type: "pkcs8", format: "der" }))).toThrow(/SM2/);
    expect(n.publicKey(p256.publicKey.export({ type: "spki", format: "der" }))).toBeUndefined();
    expect(n.publicKey(Buffer.from([0x30, 0x00]))).toBeUndefined();
    const point = Buffer.from(generateSm2KeyPair().publicKey);
    point[64] ^= 1;
    expect(n.publicKeyFromPoint(point)).toBeUndefined();
    expect(n.publicKeyFromPoint(point.subarray(0, 40))).toBeUndefined();
    expect(sm2Verify(data, sm2Sign(data, generateSm2KeyPair().privateKey), point)).toBe(false);
  });

  it("a signing key made once signs many times until closed (the CA's key)", () => {
    const kp = generateSm2KeyPair();
    const key = sm2SigningKey(kp.privateKey, kp.publicKey);
    const spki = sm2SpkiEncode(kp.publicKey);
    const sigs = Array.from({ length: 5 }, (_, i) => key.sign(Buffer.from(`message ${i}`)));
    sigs.forEach((sig, i) => expect(opensslVerifies(spki, Buffer.from(`message ${i}`), sig)).toBe(true));
    expect(new Set(sigs.map((s) => s.toString("hex"))).size).toBe(5);
    key.close();
    expect(() => key.sign(data)).toThrow(/freed/);
    // without the public key, OpenSSL derives it from d
    const noPub = sm2SigningKey(kp.privateKey);
    expect(opensslVerifies(spki, data, noPub.sign(data))).toBe(true);
    noPub.close();
  });

  it("SM2_IMPL chooses: js uses sm-crypto-v2, a wrong value is refused, native fails loudly when it cannot load", () => {
    try {
      expect(useSm2Implementation("js")).toEqual({ impl: "js" });
      const kp = generateSm2KeyPair();
      const sig = sm2Sign(data, kp.privateKey);
      expect(opensslVerifies(sm2SpkiEncode(kp.publicKey), data, sig)).toBe(true);
    } finally {
      useSm2Implementation("native");
    }
    const run = (env: Record<string, string>) =>
      spawnSync(
        process.execPath,
        [
          ...["--import", "tsx", "-e"],
          `import("${path.join(import.meta.dirname, "sm2.ts")}").then((m) => console.log(JSON.stringify(m.sm2Implementation())))`,
        ],
        { encoding: "utf8", env: { ...process.env, ...env } },
      );
    const bogus = run({ SM2_IMPL: "fast" });
    expect(bogus.status).not.toBe(0);
    expect(bogus.stderr).toContain("SM2_IMPL=fast");
    const auto = run({ SM2_IMPL: "auto" });
    expect(auto.status, auto.stderr).toBe(0);
    expect(JSON.parse(auto.stdout.trim().split("\n").pop()!)).toMatchObject({ impl: "native" });
    // no libcrypto where SM2_LIBCRYPTO points: auto falls back with one warning line, native refuses to start
    const missing = path.join(dir, "no-such-libcrypto.so.3");
    const fallback = run({ SM2_IMPL: "auto", SM2_LIBCRYPTO: missing });
    expect(fallback.status, fallback.stderr).toBe(0);
    expect(JSON.parse(fallback.stdout.trim().split("\n").pop()!)).toMatchObject({ impl: "js" });
    expect(fallback.stderr.split("\n").filter((l) => l.includes("SM2 signatures"))).toHaveLength(1);
    const refused = run({ SM2_IMPL: "native", SM2_LIBCRYPTO: missing });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain("SM2_IMPL=native, but OpenSSL cannot sign SM2 here");
  });
});
