import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  decryptSm2PrivateKeyPem,
  encryptSm2PrivateKeyPem,
  generateSm2KeyPair,
  hmacSm3,
  isSm2Spki,
  sm2CipherFromAsn1,
  sm2CipherToAsn1,
  sm2Decrypt,
  sm2Encrypt,
  sm2Pkcs8Decode,
  sm2Pkcs8Encode,
  sm2PublicKeyOf,
  sm2Sign,
  sm2SignatureFromDer,
  sm2SignatureToDer,
  sm2SpkiDecode,
  sm2SpkiEncode,
  sm2Verify,
  sm3,
  sm4Decrypt,
  sm4Encrypt,
  Sm2FormatError,
} from "./sm2";

const dir = mkdtempSync(path.join(os.tmpdir(), "sm2-"));
const file = (name: string, data?: Uint8Array | string) => {
  const p = path.join(dir, name);
  if (data !== undefined) writeFileSync(p, data);
  return p;
};
const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });

/** An SM2 key made by openssl, with its PEM and DER public key on disk. */
function opensslKey(name: string) {
  const pem = file(`${name}.pem`);
  openssl("genpkey", "-algorithm", "SM2", "-out", pem);
  const pub = file(`${name}.pub.der`, openssl("pkey", "-in", pem, "-pubout", "-outform", "DER"));
  return { pem, pub, pair: decryptSm2PrivateKeyPem(readFileSync(pem)) };
}

describe("SM2 signatures", () => {
  const data = Buffer.from("证书续期 challenge 0123456789");
  const dataFile = file("data", data);

  it("openssl verifies our DER signature over raw data with the default ID 1234567812345678", () => {
    const kp = generateSm2KeyPair();
    const pub = file("ours.pub.der", sm2SpkiEncode(kp.publicKey));
    const sig = file("ours.sig", sm2Sign(data, kp.privateKey));
    const out = openssl(
      ...["dgst", "-sm3", "-verify", pub, "-keyform", "DER"],
      ...["-sigopt", "distid:1234567812345678", "-signature", sig, dataFile],
    );
    expect(out.toString()).toContain("Verified OK");
  });

  it("openssl rejects our signature under another ID and over other data", () => {
    const kp = generateSm2KeyPair();
    const pub = file("other.pub.der", sm2SpkiEncode(kp.publicKey));
    const sig = file("other.sig", sm2Sign(data, kp.privateKey));
    const verify = (distid: string, over: string) => () =>
      openssl(
        "dgst",
        "-sm3",
        "-verify",
        pub,
        "-keyform",
        "DER",
        "-sigopt",
        `distid:${distid}`,
        "-signature",
        sig,
        over,
      );
    expect(verify("1234567812345679", dataFile)).toThrow();
    expect(verify("1234567812345678", file("data2", "other"))).toThrow();
  });

  it("verifies openssl's signatures, with the default and with a custom ID", () => {
    const { pem, pair } = opensslKey("signer");
    const sigDefault = openssl("dgst", "-sm3", "-sign", pem, "-sigopt", "distid:1234567812345678", dataFile);
    expect(sm2Verify(data, sigDefault, pair.publicKey)).toBe(true);
    const sigAlice = openssl("dgst", "-sm3", "-sign", pem, "-sigopt", "distid:alice@example", dataFile);
    expect(sm2Verify(data, sigAlice, pair.publicKey, "alice@example")).toBe(true);
    expect(sm2Verify(data, sigAlice, pair.publicKey)).toBe(false);
  });

  it("verifies against an SPKI as well as a raw point, and a signature made with a given public key", () => {
    const kp = generateSm2KeyPair();
    const sig = sm2Sign(data, kp.privateKey, { publicKey: kp.publicKey });
    expect(sm2Verify(data, sig, sm2SpkiEncode(kp.publicKey))).toBe(true);
    expect(sm2Verify(data, sig, kp.publicKey)).toBe(true);
    expect(sm2Verify(Buffer.from("tampered"), sig, kp.publicKey)).toBe(false);
    expect(sm2Verify(data, sig, generateSm2KeyPair().publicKey)).toBe(false);
  });

  it("answers false, never throws, for malformed signatures and keys", () => {
    const kp = generateSm2KeyPair();
    const sig = sm2Sign(data, kp.privateKey);
    const zeroR = sm2SignatureToDer(Buffer.concat([Buffer.alloc(32), sm2SignatureFromDer(sig).subarray(32)]));
    const bad = [
      Buffer.alloc(0),
      sig.subarray(0, sig.length - 1),
      Buffer.concat([sig, Buffer.from([0])]),
      zeroR,
      Buffer.from("3006020100020100", "hex"),
      Buffer.from("30818802", "hex"),
      Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
    ];
    for (const b of bad) expect(sm2Verify(data, b, kp.publicKey)).toBe(false);
    expect(sm2Verify(data, sig, Buffer.alloc(65, 4))).toBe(false);
    expect(sm2Verify(data, sig, Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]))).toBe(false);
    for (let i = 0; i < 200; i++) {
      const fuzzed = Buffer.from(sig);
      fuzzed[i % sig.length] ^= 1 + (i % 255);
      expect(sm2Verify(data, fuzzed, kp.publicKey)).toBe(false);
    }
  });

  it("converts r‖s to DER and back (leading zeros dropped and restored)", () => {
    const rs = Buffer.concat([Buffer.alloc(31), Buffer.from([5]), Buffer.alloc(32, 0x80)]);
    const der = sm2SignatureToDer(rs);
    expect(der.toString("hex")).toBe(`3026020105022100${"80".repeat(32)}`);
    expect(sm2SignatureFromDer(der).equals(rs)).toBe(true);
  });
});

describe("SM2 keys", () => {
  it("encodes the SPKI as openssl does (id-ecPublicKey, curve 1.2.156.10197.1.301)", () => {
    const { pub, pair } = opensslKey("spki");
    expect(sm2SpkiEncode(pair.publicKey).equals(readFileSync(pub))).toBe(true);
    expect(sm2SpkiDecode(readFileSync(pub)).equals(pair.publicKey)).toBe(true);
    expect(isSm2Spki(readFileSync(pub))).toBe(true);
    const asn1 = openssl("asn1parse", "-inform", "DER", "-in", pub).toString();
    expect(asn1).toContain("id-ecPublicKey");
    expect(asn1).toMatch(/OBJECT\s+:sm2/);
  });

  it("refuses other keys as SM2 SPKIs", () => {
    const p256 = file("p256.pem");
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p256);
    const spki = openssl("pkey", "-in", p256, "-pubout", "-outform", "DER");
    expect(isSm2Spki(spki)).toBe(false);
    expect(() => sm2SpkiDecode(spki)).toThrow(Sm2FormatError);
    const offCurve = Buffer.from(sm2SpkiEncode(generateSm2KeyPair().publicKey));
    offCurve[offCurve.length - 1] ^= 1;
    expect(() => sm2SpkiDecode(offCurve)).toThrow(Sm2FormatError);
  });

  it("accepts a compressed point and encodes it uncompressed", () => {
    const kp = generateSm2KeyPair();
    const compressed = Buffer.concat([Buffer.from([2 + (kp.publicKey[64]! & 1)]), kp.publicKey.subarray(1, 33)]);
    expect(sm2SpkiDecode(sm2SpkiEncode(compressed)).equals(kp.publicKey)).toBe(true);
  });

  it("writes PKCS#8 openssl reads, plain and encrypted, and reads openssl's", () => {
    const kp = generateSm2KeyPair();
    const der = file("k8.der", sm2Pkcs8Encode(kp.privateKey));
    const pubFromOpenssl = openssl("pkey", "-inform", "DER", "-in", der, "-pubout", "-outform", "DER");
    expect(sm2SpkiDecode(pubFromOpenssl).equals(kp.publicKey)).toBe(true);

    const enc = file("k8.enc.pem", encryptSm2PrivateKeyPem(kp.privateKey, "pass phrase"));
    expect(readFileSync(enc, "utf8")).toContain("ENCRYPTED PRIVATE KEY");
    const pub2 = openssl("pkey", "-in", enc, "-passin", "pass:pass phrase", "-pubout", "-outform", "DER");
    expect(sm2SpkiDecode(pub2).equals(kp.publicKey)).toBe(true);
    expect(decryptSm2PrivateKeyPem(readFileSync(enc), "pass phrase").privateKey.equals(kp.privateKey)).toBe(true);
    expect(() => decryptSm2PrivateKeyPem(readFileSync(enc), "wrong")).toThrow();

    const { pem, pair } = opensslKey("p8");
    const p8 = openssl("pkcs8", "-topk8", "-nocrypt", "-in", pem, "-outform", "DER");
    expect(sm2Pkcs8Decode(p8)).toEqual(pair);
    expect(sm2PublicKeyOf(pair.privateKey).equals(pair.publicKey)).toBe(true);
  });

  it("refuses a PKCS#8 whose public key belongs to another private key", () => {
    const a = generateSm2KeyPair();
    const b = generateSm2KeyPair();
    expect(() => sm2Pkcs8Decode(sm2Pkcs8Encode(a.privateKey, b.publicKey))).toThrow(Sm2FormatError);
  });

  it("refuses private keys out of range", () => {
    expect(() => sm2PublicKeyOf(Buffer.alloc(32))).toThrow(Sm2FormatError);
    expect(() => sm2PublicKeyOf(Buffer.alloc(32, 0xff))).toThrow(Sm2FormatError);
    expect(() => sm2PublicKeyOf(Buffer.alloc(31, 1))).toThrow(Sm2FormatError);
  });
});

describe("SM2 encryption", () => {
  const secret = Buffer.from("0123456789abcdef0123456789abcdef");

  it("openssl decrypts our GM/T 0009 SM2Cipher and we decrypt openssl's", () => {
    const { pem, pub, pair } = opensslKey("enc");
    const ours = file("ours.ct", sm2Encrypt(secret, pair.publicKey, "asn1"));
    expect(openssl("pkeyutl", "-decrypt", "-inkey", pem, "-in", ours).equals(secret)).toBe(true);
    const theirs = openssl(
      "pkeyutl",
      "-encrypt",
      "-pubin",
      "-inkey",
      pub,
      "-keyform",
      "DER",
      "-in",
      file("pt", secret),
    );
    expect(sm2Decrypt(theirs, pair.privateKey, "asn1").equals(secret)).toBe(true);
    expect(sm2Decrypt(sm2CipherFromAsn1(theirs), pair.privateKey, "c1c3c2").equals(secret)).toBe(true);
  });

  it("C1C3C2 is 04‖x1‖y1 ‖ C3 ‖ C2 and converts to the ASN.1 form losslessly", () => {
    const kp = generateSm2KeyPair();
    const raw = sm2Encrypt(secret, kp.publicKey);
    expect(raw.length).toBe(65 + 32 + secret.length);
    expect(raw[0]).toBe(4);
    expect(sm2CipherFromAsn1(sm2CipherToAsn1(raw)).equals(raw)).toBe(true);
    expect(sm2Decrypt(raw, kp.privateKey).equals(secret)).toBe(true);
  });

  it("refuses a tampered ciphertext or the wrong key", () => {
    const kp = generateSm2KeyPair();
    const raw = sm2Encrypt(secret, kp.publicKey);
    const tampered = Buffer.from(raw);
    tampered[tampered.length - 1] ^= 1;
    expect(() => sm2Decrypt(tampered, kp.privateKey)).toThrow(Sm2FormatError);
    expect(() => sm2Decrypt(raw, generateSm2KeyPair().privateKey)).toThrow(Sm2FormatError);
    expect(() => sm2Decrypt(raw.subarray(0, 90), kp.privateKey)).toThrow(Sm2FormatError);
    expect(() => sm2Decrypt(Buffer.from("3003020100", "hex"), kp.privateKey, "asn1")).toThrow(Sm2FormatError);
  });
});

describe("SM3 and SM4", () => {
  it("SM3 matches the GM/T 0004 test vector 'abc' and openssl's HMAC-SM3", () => {
    expect(sm3(Buffer.from("abc")).toString("hex")).toBe(
      "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
    );
    const mac = openssl("dgst", "-sm3", "-hmac", "key", "-binary", file("hm", "message")).toString("hex");
    expect(hmacSm3(Buffer.from("key"), Buffer.from("message")).toString("hex")).toBe(mac);
  });

  it("SM4 matches the GM/T 0002 test vector", () => {
    const key = Buffer.from("0123456789abcdeffedcba9876543210", "hex");
    const out = sm4Encrypt(key, key, { mode: "ecb", padding: false });
    expect(out.toString("hex")).toBe("681edf34d206965e86b3e94f536e4246");
    expect(sm4Encrypt(key, key, { mode: "ecb", padding: false, engine: "js" }).equals(out)).toBe(true);
  });

  it.each(["ecb", "cbc", "ctr"] as const)("SM4-%s: node and sm-crypto-v2 agree with openssl enc", (mode) => {
    const key = Buffer.from("00112233445566778899aabbccddeeff", "hex");
    const iv = Buffer.from("0f0e0d0c0b0a09080706050403020100", "hex");
    const plain = Buffer.from("some personal data: 110101199003077777 / 13800138000");
    const args = ["enc", `-sm4-${mode}`, "-K", key.toString("hex"), "-in", file(`sm4-${mode}`, plain)];
    const expected = openssl(...args, ...(mode === "ecb" ? [] : ["-iv", iv.toString("hex")]));
    for (const engine of ["node", "js"] as const) {
      const ct = sm4Encrypt(key, plain, { mode, iv, engine });
      expect(ct.equals(expected)).toBe(true);
      expect(sm4Decrypt(key, ct, { mode, iv, engine }).equals(plain)).toBe(true);
    }
  });

  it("SM4 refuses a bad key, IV or padding", () => {
    const key = Buffer.alloc(16, 1);
    expect(() => sm4Encrypt(Buffer.alloc(15), Buffer.from("x"), { mode: "ecb" })).toThrow(Sm2FormatError);
    expect(() => sm4Encrypt(key, Buffer.from("x"), { mode: "cbc" })).toThrow(Sm2FormatError);
    const ct = sm4Encrypt(key, Buffer.from("x"), { mode: "ecb" });
    expect(() => sm4Decrypt(Buffer.alloc(16, 2), ct, { mode: "ecb" })).toThrow(Sm2FormatError);
  });
});
