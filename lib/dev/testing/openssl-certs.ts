import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateSm2KeyPair, sm2KeyObject, sm2PairOfKeyObject } from "../../crypto/sm2";

/** Throwaway certificates for the assistant's tests and bench, made with openssl (independent of lib/pki). */

export type TestKeyType = "rsa" | "ec" | "sm2";

/** openssl signs and checks SM2 requests with an empty ID unless told: ours use the GM/T 0009 default ID */
const SM2_DISTID = "distid:1234567812345678";
const SM2_WITH_SM3_OID = Buffer.from("06082a811ccf55018375", "hex");
const isSm2Request = (csrDer: Buffer) => csrDer.subarray(0, 400).includes(SM2_WITH_SM3_OID);

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "certrenew-agent-"));
}

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

export function newKey(type: TestKeyType): KeyObject {
  if (type === "sm2") return sm2KeyObject(generateSm2KeyPair());
  return type === "rsa"
    ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
    : generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
}

export interface TestCa {
  key: KeyObject;
  der: Buffer;
  dir: string;
}

export function selfSigned(key: KeyObject, subject: string, days = 30): Buffer {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "key.pem"), key.export({ type: "pkcs8", format: "pem" }));
  openssl([
    "req",
    "-utf8",
    "-x509",
    "-new",
    "-key",
    path.join(dir, "key.pem"),
    "-subj",
    subject,
    "-days",
    String(days),
    "-sha256",
    "-set_serial",
    `0x${randomBytes(8).toString("hex")}`,
    "-outform",
    "DER",
    "-out",
    path.join(dir, "cert.der"),
  ]);
  return fs.readFileSync(path.join(dir, "cert.der"));
}

export function testCa(): TestCa {
  const key = newKey("ec");
  const der = selfSigned(key, "/C=CN/O=CertRenew Test CA/CN=Test Issuing CA", 365);
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "ca.key"), key.export({ type: "pkcs8", format: "pem" }));
  fs.writeFileSync(path.join(dir, "ca.der"), der);
  openssl(["x509", "-inform", "DER", "-in", path.join(dir, "ca.der"), "-out", path.join(dir, "ca.pem")]);
  return { key, der, dir };
}

/** A holder certificate issued by `ca` for `holderKey`. */
export function issueFor(ca: TestCa, holderKey: KeyObject, subject: string): Buffer {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "k.pem"), holderKey.export({ type: "pkcs8", format: "pem" }));
  const sm2 = sm2PairOfKeyObject(holderKey) ? ["-sm3", "-sigopt", SM2_DISTID] : [];
  const csr = openssl([
    "req",
    "-utf8",
    "-new",
    "-key",
    path.join(dir, "k.pem"),
    "-subj",
    subject,
    ...sm2,
    "-outform",
    "DER",
  ]);
  return issueFromCsr(ca, csr);
}

/** Signs a PKCS#10 request (DER) as is; fails if its signature does not verify. */
export function issueFromCsr(ca: TestCa, csrDer: Buffer): Buffer {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "req.der"), csrDer);
  const vfy = isSm2Request(csrDer) ? ["-vfyopt", SM2_DISTID] : [];
  openssl(["req", "-inform", "DER", "-in", path.join(dir, "req.der"), "-verify", "-noout", ...vfy]);
  openssl(["req", "-inform", "DER", "-in", path.join(dir, "req.der"), "-out", path.join(dir, "req.pem")]);
  return openssl([
    "x509",
    "-req",
    "-in",
    path.join(dir, "req.pem"),
    "-CA",
    path.join(ca.dir, "ca.pem"),
    "-CAkey",
    path.join(ca.dir, "ca.key"),
    "-set_serial",
    `0x${randomBytes(9).toString("hex")}`,
    "-days",
    "395",
    "-sha256",
    ...vfy,
    "-outform",
    "DER",
  ]);
}

/** `openssl req -verify` on a DER request: true when the CSR's own signature verifies. */
export function opensslVerifiesCsr(csrDer: Buffer): boolean {
  try {
    openssl(
      ["req", "-inform", "DER", "-verify", "-noout", ...(isSm2Request(csrDer) ? ["-vfyopt", SM2_DISTID] : [])],
      csrDer,
    );
    return true;
  } catch {
    return false;
  }
}

/** A certs-only PKCS#7 bundle (base64 DER) as a CA would return it. */
export function pkcs7Bundle(certs: Buffer[]): string {
  const dir = tmp();
  const args = ["crl2pkcs7", "-nocrl", "-outform", "DER"];
  certs.forEach((der, i) => {
    const pem = path.join(dir, `c${i}.pem`);
    fs.writeFileSync(pem, openssl(["x509", "-inform", "DER"], der));
    args.push("-certfile", pem);
  });
  return openssl(args).toString("base64");
}
