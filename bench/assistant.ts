import { createPublicKey } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { VirtualBackend } from "../agent/backends/virtual";
import { createVirtualToken, importKeyAndCertificate } from "../lib/token/virtual-store";
import { issueFor, newKey, testCa } from "../lib/dev/testing/openssl-certs";
import { serialHex } from "../agent/x509";
import { formatChallenge, verifyChallengeSignature } from "../lib/token/challenge";

/** `npx tsx bench/assistant.ts`: virtual-token operation latency (scrypt-bound by design) and server-side verification rate. */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-assistant-"));
const ca = testCa();
const rows: string[] = [];
for (const type of ["ec", "rsa"] as const) {
  const serial = `B${type}`;
  const token = createVirtualToken({ dir, label: serial, serial, pin: "111111", soPin: "so-bench-1" });
  const key = newKey(type);
  const cert = issueFor(ca, key, `/CN=bench ${type}`);
  importKeyAndCertificate(token, { privateKey: key, certificateDer: cert, id: "01" });
  const backend = new VirtualBackend({ dir });
  const text = formatChallenge({
    origin: "https://renew.example.cn",
    purpose: "login",
    serial: serialHex(cert),
    nonce: Buffer.alloc(32, 1).toString("base64url"),
    issuedAt: new Date().toISOString(),
  });
  const n = 20;
  let t = performance.now();
  let signature = "";
  for (let i = 0; i < n; i++)
    signature = (await backend.sign(serial, { certId: "01", pin: "111111", data: Buffer.from(text) })).signature;
  rows.push(`virtual ${type} sign (PIN check + sign): ${((performance.now() - t) / n).toFixed(1)} ms/op`);
  t = performance.now();
  await backend.keygen(serial, { certId: "01", pin: "111111" });
  rows.push(`virtual ${type} keygen + CSR: ${(performance.now() - t).toFixed(0)} ms`);
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const m = 2000;
  t = performance.now();
  for (let i = 0; i < m; i++) verifyChallengeSignature(text, signature, spki);
  rows.push(`verifyChallengeSignature ${type}: ${Math.round(m / ((performance.now() - t) / 1000))}/s`);
}
console.log(rows.join("\n"));
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
