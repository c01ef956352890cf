import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * OpenSSL's CMP mock server (`openssl cmp -port`) as the upstream CA of RA-mode tests and benches (ISSUER=cmp),
 * and the PKI around it, made with openssl in a temporary folder: a root, an issuing CA under it, the mock's own
 * certificate (signature-protected answers) and the RA's (signature-protected requests), all P-256.
 *
 * The mock answers every certification request with one fixed certificate (-rsp_cert) and refuses a kur whose
 * oldCertID does not name that certificate's issuer and serial. So a renewal against it needs the "renewed"
 * certificate made in advance: `issueFromCsr` with the CSR the portal will send and the old certificate's serial.
 */
export interface CmpMockPki {
  dir: string;
  file(name: string): string;
  pem(name: string): string;
  der(name: string): Buffer;
  openssl(args: string[]): string;
  /** a P-256 key in `name` (PEM) */
  newKey(name: string): void;
  /**
   * A certificate `<name>.crt` for the key `<name>.key` (a CSR is made for it) or for the CSR `<name>.csr` if
   * there is no such key, signed by `ca` ("root" | "issuing"), extensions "ca" or "ee".
   */
  issue(name: string, opts: { subject?: string; ca: "root" | "issuing"; ext: "ca" | "ee"; serial?: string }): Buffer;
}

/** Shared secret and reference of the mock's MAC-protected mode. */
export const CMP_MOCK_REF = "ra-ref";
export const CMP_MOCK_SECRET = "shared-secret-1";

export function createCmpMockPki(dir = mkdtempSync(path.join(os.tmpdir(), "certrenew-cmp-"))): CmpMockPki {
  const file = (name: string) => path.join(dir, name);
  const pem = (name: string) => readFileSync(file(name), "utf8");
  const openssl = (args: string[]) => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const newKey = (name: string) => {
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name]);
  };
  const der = (name: string) => Buffer.from(pem(name).replace(/-----[^-]+-----|\s/g, ""), "base64");
  const pki: CmpMockPki = {
    dir,
    file,
    pem,
    der,
    openssl,
    newKey,
    issue(name, { subject, ca, ext, serial = `0x${randomBytes(8).toString("hex")}` }) {
      if (subject) openssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`]);
      openssl(
        ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-set_serial", serial].concat(
          ["-days", "30", "-extfile", "exts.cnf", "-extensions", ext, "-out", `${name}.crt`],
        ),
      );
      return der(`${name}.crt`);
    },
  };
  writeFileSync(
    file("exts.cnf"),
    [
      "[ca]",
      "basicConstraints=critical,CA:TRUE",
      "keyUsage=critical,keyCertSign,cRLSign",
      "subjectKeyIdentifier=hash",
      "authorityKeyIdentifier=keyid",
      "[ee]",
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "subjectKeyIdentifier=hash",
      "authorityKeyIdentifier=keyid",
    ].join("\n"),
  );
  newKey("root.key");
  openssl(
    ["req", "-x509", "-new", "-key", "root.key", "-subj", "/O=Mock/CN=Mock Root CA", "-days", "30"].concat([
      "-out",
      "root.crt",
    ]),
  );
  newKey("issuing.key");
  pki.issue("issuing", { subject: "/O=Mock/CN=Mock Issuing CA", ca: "root", ext: "ca" });
  newKey("srv.key");
  pki.issue("srv", { subject: "/O=Mock/CN=Mock CMP Server", ca: "root", ext: "ee" });
  newKey("ra.key");
  pki.issue("ra", { subject: "/O=CertRenew/CN=CertRenew RA", ca: "root", ext: "ee" });
  return pki;
}

/** Server options: MAC protection with CMP_MOCK_REF/CMP_MOCK_SECRET, or signatures with srv.crt (RA: ra.crt). */
export const CMP_MOCK_MAC_ARGS = ["-srv_ref", CMP_MOCK_REF, "-srv_secret", `pass:${CMP_MOCK_SECRET}`];
export const CMP_MOCK_SIGNATURE_ARGS = ["-srv_cert", "srv.crt", "-srv_key", "srv.key", "-srv_trusted", "root.crt"];
/** Answer every request with `<name>.crt` (issued by "issuing", which goes along), accepting raVerified POP. */
export const cmpMockAnswer = (name: string) => [
  "-rsp_cert",
  `${name}.crt`,
  "-rsp_extracerts",
  "issuing.crt",
  "-accept_raverified",
];

export interface CmpMock {
  url: string;
  log(): string;
  /** the CMP messages it received and sent ("received KUR", "sending KUP", …), once it has logged `last` */
  messages(last: string): Promise<string[]>;
  /** ends the mock; resolves once it has exited, so its port is free for the next one */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts `openssl cmp -port` in the PKI's folder with `args`; resolves once it accepts connections. */
export async function startCmpMock(pki: CmpMockPki, args: string[], port?: number): Promise<CmpMock> {
  const p: ChildProcess = spawn(
    // stdbuf: the mock logs each message on stdout, block-buffered into a pipe otherwise
    "stdbuf",
    ["-oL", "-eL", "openssl", "cmp", "-port", String(port ?? (await freePort())), "-verbosity", "7", ...args],
    { cwd: pki.dir },
  );
  let log = "";
  const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
  const listening = await new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d.toString();
      const m = /ACCEPT \S*:(\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    };
    p.stdout!.on("data", onData);
    p.stderr!.on("data", onData);
    p.once("exit", (code) => {
      // a failure summary shows a message's first line: the mock's errors go there, its whole log below
      const errors = log.split("\n").filter((l) => /error/i.test(l));
      reject(new Error(`openssl cmp on port ${port ?? "(free)"} exited (${code}): ${errors.join(" | ")}\n${log}`));
    });
  });
  const list = () => [...log.matchAll(/CMP DEBUG: ((?:received|sending) [A-Z0-9]+)/g)].map((m) => m[1]);
  return {
    url: `http://127.0.0.1:${listening}/pkix/`,
    log: () => log,
    async messages(last) {
      // the mock logs after it has answered
      for (let i = 0; i < 100 && !list().includes(last); i++) await new Promise((r) => setTimeout(r, 50));
      return list();
    },
    stop() {
      if (p.exitCode === null && p.signalCode === null) p.kill();
      return exited;
    },
  };
}
