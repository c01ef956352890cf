import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "@playwright/test";
import { openPrivateKey, unwrapMasterKey, type VirtualTokenFile } from "../../lib/token/virtual-store";
import { PIN, type DemoHolder } from "./renew-helpers";

/** Dual certificates on virtual tokens (GM/T 0034): the token file, and openssl checks of the encryption key pair. */

export function openssl(args: string[]): string {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

const tokenPath = (h: DemoHolder) => path.join(process.env.E2E_DATA_DIR!, "tokens", `${h.tokenSerial}.json`);

export function tokenFile(h: DemoHolder): VirtualTokenFile {
  return JSON.parse(readFileSync(tokenPath(h), "utf8")) as VirtualTokenFile;
}

export function writeTokenFile(h: DemoHolder, file: VirtualTokenFile): void {
  writeFileSync(tokenPath(h), JSON.stringify(file, null, 2));
}

/**
 * The private key the token holds beside `key` (opened with the PIN, as the token would) is the public key of the
 * encryption certificate `encryptionPem`: openssl derives the public key and compares.
 */
export function expectEncryptionKeyMatches(
  file: VirtualTokenFile,
  key: VirtualTokenFile["keys"][number],
  encryptionPem: string,
  dir: string,
): void {
  const masterKey = unwrapMasterKey(file.userWrap, PIN, "user", file.serial)!;
  const privateKey = openPrivateKey(masterKey, file.serial, { id: `${key.id}/enc`, sealed: key.encryption!.sealed });
  writeFileSync(path.join(dir, "enc-key.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
  expect(openssl(["pkey", "-in", path.join(dir, "enc-key.pem"), "-pubout"])).toBe(
    openssl(["x509", "-in", encryptionPem, "-noout", "-pubkey"]),
  );
}
