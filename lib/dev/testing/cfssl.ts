import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * A real `cfssl serve` (Debian golang-cfssl 1.2.0) as the upstream CA of RA-mode tests and benches: its own P-256
 * CA made with openssl, a profile `holder` behind an auth key (authsign) with client-chosen serials, and a
 * SQLite certificate store (revoke needs `-db-config`). The store starts from tests/fixtures/cfssl/certdb.sqlite,
 * cfssl's own SQLite migration (certdb/sqlite/migrations) with text columns: cfssl 1.2.0's `bytea` columns get
 * SQLite's NUMERIC affinity, which turns 38-digit serials into floating-point numbers.
 */

export interface CfsslPeer {
  url: string;
  port: number;
  authKeyHex: string;
  profile: string;
  dir: string;
  caPem: string;
  caFile: string;
  dbFile: string;
  /**
   * The upstream's own view of every certificate it signed: serial (lowercase hex, as the registry writes it) →
   * good | revoked, read by cfssl's tools (ocsprefresh signs a response per certificate in its store, ocspdump
   * lists them) and openssl. `responses` is ocspdump's output, what `cfssl ocspserve -responses` serves.
   */
  statuses(): { map: Map<string, string>; responses: string };
  /** A CRL of every certificate cfssl's store has revoked, signed by its CA (`cfssl gencrl`), DER. */
  crl(): Buffer;
  /**
   * (Re)starts `cfssl ocspserve` on `port` with a response for every certificate in the store (the profile's
   * ocsp_url points there when startCfssl was given `ocspPort`).
   */
  serveOcsp(): Promise<void>;
  /** SIGKILL (the upstream "dies"); resolves once it has exited, so its port is closed */
  kill(): Promise<void>;
  /** start again on the same port with the same CA and store */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const CERTDB_FIXTURE = path.resolve("tests/fixtures/cfssl/certdb.sqlite");

function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`cfssl did not listen on ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  return exited;
}

export async function startCfssl(opts: { port: number; expiry?: string; ocspPort?: number; crlUrl?: string }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "certrenew-cfssl-"));
  const caFile = path.join(dir, "ca.pem");
  const keyFile = path.join(dir, "ca.key");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      caFile,
      "-days",
      "3650",
      "-subj",
      "/C=CN/O=Upstream Test CA/CN=Upstream Issuing CA",
      "-addext",
      "basicConstraints=critical,CA:true",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    { stdio: "ignore" },
  );
  const authKeyHex = randomBytes(16).toString("hex");
  const base = `http://127.0.0.1:${opts.port}`;
  const profile = {
    expiry: opts.expiry ?? "8760h",
    usages: ["digital signature", "content commitment", "client auth", "email protection"],
    auth_key: "portal",
    ClientProvidesSerialNumbers: true,
    ocsp_url: opts.ocspPort ? `http://127.0.0.1:${opts.ocspPort}` : `${base}/ocsp`,
    crl_url: opts.crlUrl ?? `${base}/crl`,
    issuer_urls: [`${base}/ca.pem`],
  };
  writeFileSync(
    path.join(dir, "config.json"),
    JSON.stringify({
      signing: {
        default: { expiry: "8760h", usages: ["signing"] },
        // `strict` refuses every holder name (cfssl's policy error): the final-refusal case
        profiles: { holder: profile, strict: { ...profile, name_whitelist: "^no-holder-matches$" } },
      },
      auth_keys: { portal: { type: "standard", key: authKeyHex } },
    }),
  );
  const dbFile = path.join(dir, "certs.db");
  copyFileSync(CERTDB_FIXTURE, dbFile);
  writeFileSync(path.join(dir, "db.json"), JSON.stringify({ driver: "sqlite3", data_source: dbFile }));

  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      "cfssl",
      [
        "serve",
        "-address",
        "127.0.0.1",
        "-port",
        String(opts.port),
        "-ca",
        caFile,
        "-ca-key",
        keyFile,
        "-config",
        path.join(dir, "config.json"),
        "-db-config",
        path.join(dir, "db.json"),
        "-loglevel",
        "3",
      ],
      { stdio: "ignore" },
    );
    await waitForPort(opts.port);
  };
  await start();
  let ocspChild: ChildProcess | undefined;
  const kill = () => {
    const dying = child;
    child = undefined;
    return dying ? killAndWait(dying) : Promise.resolve();
  };
  const peer: CfsslPeer = {
    url: base,
    port: opts.port,
    authKeyHex,
    profile: "holder",
    dir,
    caPem: readFileSync(caFile, "utf8"),
    caFile,
    dbFile,
    kill,
    statuses: () => {
      const db = ["-db-config", path.join(dir, "db.json")];
      execFileSync("cfssl", ["ocsprefresh", ...db, "-responder", caFile, "-responder-key", keyFile, "-ca", caFile], {
        stdio: "ignore",
      });
      const responses = execFileSync("cfssl", ["ocspdump", ...db], { encoding: "utf8" });
      const map = new Map<string, string>();
      for (const line of responses.split("\n").filter(Boolean)) {
        const file = path.join(dir, "r.der");
        writeFileSync(file, Buffer.from(line, "base64"));
        const text = execFileSync("openssl", ["ocsp", "-respin", file, "-resp_text", "-noverify"], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        });
        const serial = /Serial Number: ([0-9A-F]+)/.exec(text)?.[1]?.toLowerCase();
        const status = /Cert Status: (\w+)/.exec(text)?.[1];
        if (serial && status) map.set(serial.length % 2 ? `0${serial}` : serial, status);
      }
      return { map, responses };
    },
    restart: async () => {
      await kill();
      await start();
    },
    crl: () => {
      const serials = [...peer.statuses().map]
        .filter(([, status]) => status === "revoked")
        .map(([hex]) => BigInt(`0x${hex}`).toString());
      const list = path.join(dir, "revoked.txt");
      writeFileSync(list, serials.join("\n") + "\n");
      const b64 = execFileSync("cfssl", ["gencrl", list, caFile, keyFile], { encoding: "utf8" });
      return Buffer.from(b64.trim(), "base64");
    },
    serveOcsp: async () => {
      if (!opts.ocspPort) throw new Error("startCfssl was given no ocspPort");
      if (ocspChild) await killAndWait(ocspChild);
      const file = path.join(dir, "responses.txt");
      writeFileSync(file, peer.statuses().responses);
      ocspChild = spawn(
        "cfssl",
        ["ocspserve", "-address", "127.0.0.1", "-port", String(opts.ocspPort), "-responses", file, "-loglevel", "3"],
        { stdio: "ignore" },
      );
      await waitForPort(opts.ocspPort);
    },
    stop: async () => {
      await Promise.all([kill(), ocspChild && killAndWait(ocspChild)]);
    },
  };
  return peer;
}
