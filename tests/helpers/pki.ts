import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { derToPem } from "@/tests/helpers/pem";

/** The test CA and holder certificates (shared with the benches, which may not import tests/). */
export { createTestCa, insertHolderCertificate } from "@/lib/dev/testing/pki";

/** Writes DER certificates as PEM files into `dir` and returns their paths. */
export function writePem(dir: string, files: Record<string, Buffer>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, der] of Object.entries(files)) {
    out[name] = path.join(dir, `${name}.pem`);
    writeFileSync(out[name], derToPem(der));
  }
  return out;
}

/** Runs openssl; returns stdout + stderr, throws with both on a non-zero exit. */
export function openssl(args: string[], input?: Buffer): string {
  const r = spawnSync("openssl", args, { input, encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed (${r.status}):\n${out}`);
  return out;
}

/** Writes a DER CRL to `file` and returns openssl's text of it, its signature verified with `issuerPem`'s key. */
export function crlTextOf(file: string, der: Uint8Array, issuerPem: string): string {
  writeFileSync(file, der);
  return openssl(["crl", "-inform", "DER", "-in", file, "-CAfile", issuerPem, "-verify", "-noout", "-text"]);
}

/** openssl without blocking the event loop: needed when it talks to a server in this process. */
export function opensslAsync(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`openssl ${args.join(" ")} failed (${code}):\n${out}`)),
    );
  });
}
