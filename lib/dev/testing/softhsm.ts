import { execFileSync } from "node:child_process";
import type { KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** SoftHSM2's PKCS#11 module as Debian installs it. */
export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

/** A private SoftHSM2 configuration and token directory under `work`; child processes inherit SOFTHSM2_CONF. */
export function useSoftHsm(work: string): void {
  fs.mkdirSync(path.join(work, "tokens"), { recursive: true });
  fs.writeFileSync(
    path.join(work, "softhsm2.conf"),
    `directories.tokendir = ${path.join(work, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = path.join(work, "softhsm2.conf");
}

/**
 * A holder's token as a CA's enrolment station leaves it: initialised with user PIN 111111, the key imported
 * with softhsm2-util and the certificate written with pkcs11-tool, both under CKA_ID `id`. Returns the token's
 * serial number.
 */
export function provisionHolderToken(opts: {
  work: string;
  label: string;
  soPin: string;
  key: KeyObject;
  certificate: Buffer;
  id: string;
  /** CKA_LABEL of the key and the certificate (the token's label when omitted) */
  objectLabel?: string;
}): string {
  const { work, label, id } = opts;
  const objectLabel = opts.objectLabel ?? label;
  const keyPem = path.join(work, `${label}.key.pem`);
  const certDer = path.join(work, `${label}.cert.der`);
  fs.writeFileSync(keyPem, opts.key.export({ type: "pkcs8", format: "pem" }));
  fs.writeFileSync(certDer, opts.certificate);
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env: process.env, stdio: "pipe" });
  run("softhsm2-util", ["--init-token", "--free", "--label", label, "--so-pin", opts.soPin, "--pin", "111111"]);
  run("softhsm2-util", ["--import", keyPem, "--token", label, "--label", objectLabel, "--id", id, "--pin", "111111"]);
  run("pkcs11-tool", [
    ...["--module", SOFTHSM_MODULE, "--token-label", label, "--login", "--pin", "111111"],
    ...["--write-object", certDer, "--type", "cert", "--id", id, "--label", objectLabel],
  ]);
  const shown = execFileSync("softhsm2-util", ["--show-slots"], { env: process.env }).toString();
  const block = shown.split(/\nSlot /).find((b) => b.includes(`Label:            ${label}`)) ?? "";
  return /Serial number:\s+(\S+)/.exec(block)?.[1] ?? "";
}
