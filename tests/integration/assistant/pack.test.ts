import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { X509Certificate, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSISTANT_VERSION } from "@/agent/server";
import { serialHex } from "@/agent/x509";
import { formatChallenge, verifyChallengeSignature } from "@/lib/token/challenge";
import { createVirtualToken, importKeyAndCertificate } from "@/lib/token/virtual-store";
import { issueFor, newKey, testCa } from "@/lib/dev/testing/openssl-certs";
import { MODULE_HOST_FLAG } from "@/agent/middleware/host";
import { packSettings } from "@/scripts/assistant-pack";
import {
  INSTALLER_NAME,
  LINUX_EXE,
  WIN_EXE,
  distDir,
  packAssistant,
  verifyExe,
  type AssistantManifest,
  type SigningKey,
} from "@/scripts/lib/assistant-pack";

/**
 * The installable certificate assistant (`npm run assistant:pack`), end to end on Linux: the installer is
 * built (or reused: same inputs as `npm start`'s demo build, so the pack is cached between runs), both Windows
 * executables pass `osslsigncode verify`, and under Wine (Debian wine 8, a throwaway WINEPREFIX) the silent
 * install writes the Run entry, starts the assistant, which answers /v1/info from Linux for the stamped origin
 * only and signs a portal challenge with a virtual token; the uninstaller removes the files and the Run entry.
 * Middleware libraries inside the packed executables: each runs in a module host, the executable started again
 * from itself with MODULE_HOST_FLAG (agent/middleware/isolated.ts hostCommand, IPC) — under Wine a PKCS#11 DLL
 * built here with mingw (fixtures/win-pkcs11.c) next to a broken and a missing one, on Linux SoftHSM2.
 */

const root = path.resolve(import.meta.dirname, "../../..");
const ORIGIN = "http://localhost:3000";
const OTHER_ORIGIN = "https://evil.example";
const RUN_KEY = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run";
const UNINSTALL_KEY = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\CertRenewAssistant";
const SERIAL_TOKEN = "WINE0001";
const CERT_ID = "01";
const FIXTURES = path.join(root, "tests/integration/token/fixtures");
const SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so";

let manifest: AssistantManifest;
let sign: SigningKey;
let work: string;
let prefix: string;
let wineEnv: NodeJS.ProcessEnv;
let certSerial: string;
let certSpki: Buffer;
const port = 17000 + Math.floor(Math.random() * 900);

/** Runs wine with its output in a file: a program started under Wine with a pipe as stdout fails (EBADF). */
function wine(args: string[], timeout = 60_000): { status: number | null; out: string } {
  const file = path.join(work, `wine-${randomBytes(4).toString("hex")}.log`);
  const fd = fs.openSync(file, "w");
  try {
    const r = spawnSync("wine", args, { env: wineEnv, timeout, stdio: ["ignore", fd, fd] });
    return { status: r.status, out: fs.readFileSync(file, "utf8").replace(/\r/g, "") };
  } finally {
    fs.closeSync(fd);
  }
}

async function get(p: string, origin: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${p}`, { headers: { origin }, signal: AbortSignal.timeout(5000) });
}

async function waitFor<T>(what: string, probe: () => Promise<T | null> | T | null, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve(probe()).catch(() => null);
    if (v !== null && v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function post(p: string, body: unknown, base = `http://127.0.0.1:${port}`): Promise<Response> {
  return fetch(`${base}${p}`, {
    method: "POST",
    headers: { origin: ORIGIN, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
}

interface ListedToken {
  id: string;
  label: string;
  serial: string;
  certificates: { id: string; serial: string; keyAlgorithm: string }[];
}

/** The modules (backend name and path) of the last "listening" line of an assistant log (JSON lines). */
function listeningModules(logText: string): { name: string; path: string }[] {
  const line = logText
    .split("\n")
    .filter((l) => l.includes("certificate assistant listening"))
    .pop();
  if (!line) throw new Error(`no start-up line in the log:\n${logText.slice(-2000)}`);
  return (JSON.parse(line) as { modules: { name: string; path: string }[] }).modules;
}

/** A portal challenge for the certificate with this serial, issued now. */
const challengeFor = (serial: string) =>
  formatChallenge({
    origin: ORIGIN,
    purpose: "login",
    serial,
    nonce: randomBytes(32).toString("base64url"),
    issuedAt: new Date().toISOString(),
  });

/** The command lines (argv) of the running processes, or of those whose parent is `parent` (Linux /proc). */
function processCommands(parent?: number): string[][] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (parent !== undefined && ppid !== parent) return [];
        return [fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").filter(Boolean)];
      } catch {
        return []; // gone meanwhile
      }
    });
}

const programDir = () =>
  path.join(prefix, "drive_c", "users", os.userInfo().username, "AppData", "Local", "Programs", "CertRenew Assistant");
/** %LOCALAPPDATA%\CertRenew: the installed program's log and extracted add-on */
const userDataDir = () => path.join(programDir(), "..", "..", "CertRenew");
/** %APPDATA%\CertRenew\assistant.json: the holder's settings */
const settingsFile = () => path.join(programDir(), "..", "..", "..", "Roaming", "CertRenew", "assistant.json");
const installedLog = () => {
  const file = path.join(userDataDir(), "assistant.log");
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
};

beforeAll(async () => {
  // the same settings as `npm start` in demo mode on the default port: one cached pack serves both
  const settings = await packSettings({
    ...process.env,
    PORT: "3000",
    DATA_DIR: path.join(root, ".data"),
    DEMO_MODE: "1",
    DATABASE_URL: "",
    PUBLIC_ORIGIN: "",
    ASSISTANT_SIGN_CERT: "",
    ASSISTANT_SIGN_KEY: "",
  });
  expect(settings.origin).toBe(ORIGIN);
  sign = settings.sign;
  ({ manifest } = await packAssistant({ root, origin: settings.origin, sign, log: () => {} }));

  work = fs.mkdtempSync(path.join(os.tmpdir(), "certrenew-wine-"));
  prefix = path.join(work, "prefix");
  // a virtual token for the installed assistant (DATA_DIR is seen through Wine's Z: drive)
  const ca = testCa();
  const key = newKey("ec");
  const cert = issueFor(ca, key, "/C=CN/O=Wine Test/CN=Wine Holder");
  const token = createVirtualToken({
    dir: path.join(work, "data", "tokens"),
    label: "Wine key",
    serial: SERIAL_TOKEN,
    pin: "111111",
    soPin: "so-secret-1",
  });
  importKeyAndCertificate(token, { privateKey: key, certificateDer: cert, id: CERT_ID });
  certSerial = serialHex(cert);
  certSpki = new X509Certificate(cert).publicKey.export({ type: "spki", format: "der" });
  wineEnv = {
    ...process.env,
    WINEPREFIX: prefix,
    WINEDEBUG: "-all",
    WINEDLLOVERRIDES: "mscoree,mshtml=",
    ASSISTANT_PORT: String(port),
    LOG_LEVEL: "info",
    DATA_DIR: `Z:${path.join(work, "data")}`,
    ASSISTANT_VIRTUAL_TOKENS: "1",
    ASSISTANT_ORIGINS: "",
  };
  delete wineEnv.ASSISTANT_ORIGINS;
  delete wineEnv.DISPLAY;
  execFileSync("wineboot", ["-i"], { env: wineEnv, stdio: "ignore", timeout: 120_000 });
  // a new prefix may say Windows 7, which Node 22 refuses to run on; holders have Windows 10/11
  expect(wine(["reg", "add", "HKCU\\Software\\Wine", "/v", "Version", "/d", "win10", "/f"]).status).toBe(0);
}, 600_000);

/** SIGTERM, then the process's exit. */
async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

afterAll(() => {
  if (prefix) spawnSync("wineserver", ["-k"], { env: wineEnv, stdio: "ignore", timeout: 20_000 });
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("npm run assistant:pack", () => {
  it("builds a signed installer under 40 MB and two single executables, listed with SHA-256", () => {
    expect(manifest.version).toBe(ASSISTANT_VERSION);
    expect(manifest.origin).toBe(ORIGIN);
    expect(manifest.installer.name).toBe(INSTALLER_NAME);
    expect(manifest.installer.bytes).toBeLessThanOrEqual(40 * 1024 * 1024);
    expect(manifest.installer.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.files.map((f) => f.name).sort()).toEqual([LINUX_EXE, WIN_EXE].sort());
    for (const f of [manifest.installer, ...manifest.files])
      expect(fs.statSync(path.join(distDir(root), f.name)).size).toBe(f.bytes);
  });

  it("osslsigncode verify passes for certrenew-assistant.exe and the installer", () => {
    verifyExe(path.join(distDir(root), WIN_EXE), sign.rootPem);
    verifyExe(path.join(distDir(root), INSTALLER_NAME), sign.rootPem);
  });

  it("the Linux executable loads koffi from its own asset and calls libc through it", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "certrenew-linux-native-"));
    try {
      const r = spawnSync(path.join(distDir(root), LINUX_EXE), ["--check-native"], {
        env: { NODE_ENV: "test", HOME: home },
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ ffi: true, platform: "linux", packaged: true });
      // the add-on was written to the per-user folder
      expect(fs.readdirSync(path.join(home, ".cache", "certrenew", "native")).some((f) => f.endsWith(".node"))).toBe(
        true,
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it("the Linux executable answers /v1/info (no Node installed needed)", async () => {
    const home = path.join(os.tmpdir(), `certrenew-linux-exe-${process.pid}`);
    const linuxPort = port + 1000;
    const child: ChildProcess = spawn(path.join(distDir(root), LINUX_EXE), [], {
      env: {
        NODE_ENV: "test",
        HOME: home,
        ASSISTANT_PORT: String(linuxPort),
        ASSISTANT_ORIGINS: ORIGIN,
        DATA_DIR: path.join(home, "data"),
      },
      stdio: "ignore",
    });
    try {
      const info = await waitFor("the Linux executable", async () => {
        const res = await fetch(`http://127.0.0.1:${linuxPort}/v1/info`, { headers: { origin: ORIGIN } });
        return res.ok ? ((await res.json()) as { version: string }) : null;
      });
      expect(info.version).toBe(ASSISTANT_VERSION);
    } finally {
      // it writes into its HOME (~/.cache/certrenew) until it has exited
      await stopped(child);
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it("the Linux executable serves SoftHSM2 from a module host (itself started again); a missing library is set aside", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "certrenew-linux-hsm-"));
    const linuxPort = port + 2000;
    const base = `http://127.0.0.1:${linuxPort}`;
    const conf = path.join(home, "softhsm2.conf");
    const logFile = path.join(home, "assistant.log");
    const missing = path.join(home, "missing-pkcs11.so");
    fs.mkdirSync(path.join(home, "hsm"));
    fs.writeFileSync(
      conf,
      `directories.tokendir = ${path.join(home, "hsm")}\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
    const hsmEnv = { ...process.env, SOFTHSM2_CONF: conf };
    const tool = (cmd: string, args: string[]) => execFileSync(cmd, args, { env: hsmEnv, stdio: "pipe" }).toString();
    tool("softhsm2-util", ["--init-token", "--free", "--label", "sea", "--so-pin", "so-pin-0001", "--pin", "111111"]);
    const key = newKey("ec");
    const cert = issueFor(testCa(), key, "/C=CN/O=SEA Test/CN=SEA Holder");
    fs.writeFileSync(path.join(home, "key.pem"), key.export({ type: "pkcs8", format: "pem" }));
    fs.writeFileSync(path.join(home, "cert.der"), cert);
    tool("softhsm2-util", [
      "--import",
      path.join(home, "key.pem"),
      "--token",
      "sea",
      "--label",
      "sea",
      "--id",
      "0d04",
      "--pin",
      "111111",
    ]);
    tool("pkcs11-tool", [
      "--module",
      SOFTHSM,
      "--token-label",
      "sea",
      "--login",
      "--pin",
      "111111",
      "--write-object",
      path.join(home, "cert.der"),
      "--type",
      "cert",
      "--id",
      "0d04",
    ]);
    const slot = tool("softhsm2-util", ["--show-slots"])
      .split(/\nSlot /)
      .find((b) => /Label:\s+sea\s/.test(b));
    const hsmSerial = /Serial number:\s+(\S+)/.exec(slot ?? "")?.[1];
    expect(hsmSerial).toBeTruthy();
    const child: ChildProcess = spawn(path.join(distDir(root), LINUX_EXE), [], {
      env: {
        NODE_ENV: "test",
        HOME: home,
        ASSISTANT_PORT: String(linuxPort),
        ASSISTANT_ORIGINS: ORIGIN,
        ASSISTANT_MODULES: `pkcs11=${SOFTHSM};pkcs11=${missing}`,
        ASSISTANT_DISCOVER_MODULES: "0",
        ASSISTANT_VIRTUAL_TOKENS: "0",
        SOFTHSM2_CONF: conf,
        LOG_LEVEL: "info",
        ASSISTANT_LOG_FILE: logFile,
      },
      stdio: "ignore",
    });
    try {
      const tokens = await waitFor("SoftHSM2's token from the Linux executable", async () => {
        const res = await fetch(`${base}/v1/tokens`, {
          headers: { origin: ORIGIN },
          signal: AbortSignal.timeout(20_000),
        });
        const body = (await res.json()) as { tokens?: ListedToken[] };
        return body.tokens?.some((t) => t.serial === hsmSerial) ? body.tokens : null;
      }).catch((e: unknown) => {
        throw new Error(
          `${String(e)}\nassistant log: ${fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : ""}`,
        );
      });
      const names = new Map(listeningModules(fs.readFileSync(logFile, "utf8")).map((m) => [m.path, m.name]));
      const token = tokens.find((t) => t.serial === hsmSerial)!;
      expect(token.id).toBe(`${names.get(SOFTHSM)}:${hsmSerial}`);
      expect(token.certificates).toMatchObject([{ id: "0d04", serial: serialHex(cert), keyAlgorithm: "EC-P256" }]);
      // the library is loaded by a child of the executable: the executable itself with the host flag
      const hosts = processCommands(child.pid!).filter((argv) => argv.includes(MODULE_HOST_FLAG));
      expect(hosts).toContainEqual([path.join(distDir(root), LINUX_EXE), MODULE_HOST_FLAG, "pkcs11", SOFTHSM]);

      const challenge = challengeFor(serialHex(cert));
      const res = await post("/v1/sign", { tokenId: token.id, certId: "0d04", pin: "111111", challenge }, base);
      expect(res.status).toBe(200);
      const signed = (await res.json()) as { signature: string };
      const spki = new X509Certificate(cert).publicKey.export({ type: "spki", format: "der" });
      expect(verifyChallengeSignature(challenge, signed.signature, spki)).toBe(true);

      const gone = await fetch(`${base}/v1/pin-status?tokenId=${names.get(missing)}:X1`, {
        headers: { origin: ORIGIN },
      });
      expect(gone.status).toBe(502);
      const { error } = (await gone.json()) as {
        error: { code: string; details: { library: string; reason: string } };
      };
      expect(error).toMatchObject({ code: "TOKEN_MIDDLEWARE_ERROR", details: { library: "missing-pkcs11.so" } });
      expect(error.details.reason).toMatch(/^not loaded/);
    } finally {
      await stopped(child);
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("the installer under Wine", () => {
  it("installs silently, registers the Run entry and starts the assistant for the stamped origin only", async () => {
    const r = wine([path.join(distDir(root), INSTALLER_NAME), "/S"], 120_000);
    expect(r.status, r.out).toBe(0);
    expect(fs.existsSync(path.join(programDir(), WIN_EXE))).toBe(true);
    // the uninstaller makensis wrote is signed too (!uninstfinalize)
    verifyExe(path.join(programDir(), "uninstall.exe"), sign.rootPem);
    const run = wine(["reg", "query", RUN_KEY, "/v", "CertRenewAssistant"]);
    expect(run.out).toContain(`${WIN_EXE}`);
    expect(wine(["reg", "query", UNINSTALL_KEY, "/v", "DisplayVersion"]).out).toContain(ASSISTANT_VERSION);

    const info = await waitFor(
      "the installed assistant",
      async () => {
        const res = await get("/v1/info", ORIGIN);
        return res.ok ? { body: (await res.json()) as { version: string; backends: string[] }, res } : null;
      },
      45_000,
    ).catch((e: unknown) => {
      const logFile = path.join(programDir(), "..", "..", "CertRenew", "assistant.log");
      const logText = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "(no log file)";
      throw new Error(`${String(e)}\ninstaller output: ${r.out}\nassistant log: ${logText}`);
    });
    expect(info.body.version).toBe(ASSISTANT_VERSION);
    expect(info.body.backends).toContain("virtual");
    expect(info.res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const other = await get("/v1/info", OTHER_ORIGIN);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe("ASSISTANT_ORIGIN_FORBIDDEN");
  }, 150_000);

  it("loads koffi's Windows add-on from its asset and calls kernel32 through it", async () => {
    const r = wine([path.join(programDir(), WIN_EXE), "--check-native"], 60_000);
    expect(r.status, r.out).toBe(0);
    const logFile = path.join(programDir(), "..", "..", "CertRenew", "assistant.log");
    const line = await waitFor("the native check in the log", () =>
      fs.existsSync(logFile)
        ? (fs
            .readFileSync(logFile, "utf8")
            .split("\n")
            .find((l) => l.includes('"native check"')) ?? null)
        : null,
    );
    expect(JSON.parse(line)).toMatchObject({ ffi: true, platform: "win32", packaged: true });
  });

  it("signs a portal challenge with a virtual token", async () => {
    const tokens = (await (await get("/v1/tokens", ORIGIN)).json()) as {
      tokens: { id: string; certificates: { id: string; serial: string }[] }[];
    };
    const token = tokens.tokens.find((t) => t.id === `virtual:${SERIAL_TOKEN}`);
    expect(token?.certificates.map((c) => c.serial)).toContain(certSerial);
    const challenge = formatChallenge({
      origin: ORIGIN,
      purpose: "login",
      serial: certSerial,
      nonce: randomBytes(32).toString("base64url"),
      issuedAt: new Date().toISOString(),
    });
    const res = await fetch(`http://127.0.0.1:${port}/v1/sign`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ tokenId: token!.id, certId: CERT_ID, pin: "111111", challenge }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    const signed = (await res.json()) as { signature: string };
    expect(verifyChallengeSignature(challenge, signed.signature, certSpki)).toBe(true);
  });

  it("serves a PKCS#11 DLL from a module host (the executable started again); a broken and a missing library are set aside", async () => {
    // the libraries in a vendor-like folder on C:; the good one holds an RSA certificate
    const dir = path.join(prefix, "drive_c", "CertRenewTest");
    fs.mkdirSync(dir, { recursive: true });
    const cert = issueFor(testCa(), newKey("rsa"), "/C=CN/O=Wine Test/CN=Wine Module Holder");
    const header = path.join(work, "cert-der.h");
    fs.writeFileSync(
      header,
      `#define CERT_DER_LEN ${cert.length}\nstatic const unsigned char cert_der[] = {${[...cert].join(",")}};\n`,
    );
    const mingw = (args: string[]) => execFileSync("x86_64-w64-mingw32-gcc", ["-shared", "-O1", ...args]);
    mingw(["-include", header, "-o", path.join(dir, "win-pkcs11.dll"), path.join(FIXTURES, "win-pkcs11.c")]);
    mingw(["-o", path.join(dir, "broken-pkcs11.dll"), path.join(FIXTURES, "broken-pkcs11.c")]);
    const good = "C:\\CertRenewTest\\win-pkcs11.dll";
    const broken = "C:\\CertRenewTest\\broken-pkcs11.dll";
    const missing = "C:\\CertRenewTest\\missing-pkcs11.dll";
    fs.writeFileSync(
      settingsFile(),
      JSON.stringify({ origins: [ORIGIN], modules: [good, broken, missing].map((p) => ({ kind: "pkcs11", path: p })) }),
    );

    // restart as a holder's PC would (the installer stops it with taskkill, the Run entry starts it), with the
    // add-on to extract again: the three module hosts start together and write it at the same time
    wine(["taskkill", "/F", "/IM", WIN_EXE]);
    await waitFor("the assistant to stop", () =>
      get("/v1/info", ORIGIN).then(
        () => null,
        () => true,
      ),
    );
    fs.rmSync(path.join(userDataDir(), "native"), { recursive: true, force: true });
    const starts = () => installedLog().split("certificate assistant listening").length - 1;
    const before = starts();
    const logFd = fs.openSync(path.join(work, "restarted.log"), "w");
    spawn("wine", [path.join(programDir(), WIN_EXE)], { env: wineEnv, stdio: ["ignore", logFd, logFd] }).unref();
    fs.closeSync(logFd);
    await waitFor("the restarted assistant", () => (starts() > before ? true : null), 45_000);
    const names = new Map(listeningModules(installedLog()).map((m) => [m.path, m.name]));
    expect([...names.keys()]).toEqual([good, broken, missing]);

    const tokenId = `${names.get(good)}:W1`;
    const tokens = await waitFor(
      "the DLL's token",
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/tokens`, {
          headers: { origin: ORIGIN },
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json()) as { tokens?: ListedToken[] };
        return body.tokens?.some((t) => t.id === tokenId) ? body.tokens : null;
      },
      45_000,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\nassistant log: ${installedLog().slice(-4000)}`);
    });
    expect(tokens.find((t) => t.id === tokenId)).toMatchObject({
      label: "wine-token",
      serial: "W1",
      certificates: [{ id: "0a01", serial: serialHex(cert), keyAlgorithm: "RSA-2048" }],
    });
    // each library in its own process: the installed executable started again with the host flag (Wine shows
    // Windows command lines in /proc)
    const hosts = processCommands().filter((argv) => argv[1] === MODULE_HOST_FLAG);
    for (const library of [good, broken, missing])
      expect(hosts).toContainEqual([
        expect.stringMatching(/\\certrenew-assistant\.exe$/),
        MODULE_HOST_FLAG,
        "pkcs11",
        library,
      ]);
    // the broken and the missing library do not hide the other keys
    expect(tokens.map((t) => t.id)).toContain(`virtual:${SERIAL_TOKEN}`);

    // signing goes through the host to the DLL, whose C_Sign answers "<mechanism>:<data>" (CKM_SHA256_RSA_PKCS)
    const challenge = challengeFor(serialHex(cert));
    const res = await post("/v1/sign", { tokenId, certId: "0a01", pin: "1234", challenge });
    expect(res.status).toBe(200);
    const signed = (await res.json()) as { signature: string; algorithm: string; certificate: string };
    expect(Buffer.from(signed.signature, "base64").toString()).toBe(`0040:${challenge}`);
    expect(signed.algorithm).toBe("RSA-SHA256");
    expect(Buffer.from(signed.certificate, "base64").equals(cert)).toBe(true);
    // the library's refusal comes back through IPC as the domain error
    const wrong = await post("/v1/sign", {
      tokenId,
      certId: "0a01",
      pin: "0000",
      challenge: challengeFor(serialHex(cert)),
    });
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("PIN_INCORRECT_UNCOUNTED");

    for (const [library, reason] of [
      ["broken-pkcs11.dll", /CKR_GENERAL_ERROR/],
      ["missing-pkcs11.dll", /^not loaded/],
    ] as const) {
      const r = await get(`/v1/pin-status?tokenId=${names.get(`C:\\CertRenewTest\\${library}`)}:X1`, ORIGIN);
      expect(r.status).toBe(502);
      const { error } = (await r.json()) as { error: { code: string; details: { library: string; reason: string } } };
      expect(error).toMatchObject({ code: "TOKEN_MIDDLEWARE_ERROR", details: { library } });
      expect(error.details.reason).toMatch(reason);
    }
  }, 120_000);

  it("upgrades in place: the running copy is replaced and restarted, the holder's settings stay", async () => {
    const settings = settingsFile();
    const logFile = path.join(userDataDir(), "assistant.log");
    const kept = { origins: [ORIGIN], virtualTokens: true };
    fs.writeFileSync(settings, JSON.stringify(kept));
    const starts = () => fs.readFileSync(logFile, "utf8").split("certificate assistant listening").length - 1;
    const before = starts();
    const r = wine([path.join(distDir(root), INSTALLER_NAME), "/S"], 120_000);
    expect(r.status, r.out).toBe(0);
    await waitFor("the upgraded assistant to start", () => (starts() > before ? true : null), 45_000);
    // fetch keeps a pooled keep-alive socket to the replaced process: the first request may meet its close
    await waitFor("the upgraded assistant to answer /v1/info", async () =>
      (await get("/v1/info", ORIGIN)).status === 200 ? true : null,
    );
    expect(JSON.parse(fs.readFileSync(settings, "utf8"))).toEqual(kept);
  }, 150_000);

  it("uninstalls: files, Run entry and Apps & features entry gone, assistant stopped", async () => {
    const r = wine([path.join(programDir(), "uninstall.exe"), "/S"], 60_000);
    expect(r.status, r.out).toBe(0);
    // NSIS's uninstaller runs from a temporary copy: wait for it to finish
    await waitFor("the uninstaller", () => (fs.existsSync(path.join(programDir(), WIN_EXE)) ? null : true));
    await waitFor("the Run entry to go", () =>
      wine(["reg", "query", RUN_KEY, "/v", "CertRenewAssistant"]).out.includes(WIN_EXE) ? null : true,
    );
    expect(wine(["reg", "query", UNINSTALL_KEY]).out).not.toContain("DisplayVersion");
    await waitFor(
      "the assistant to stop",
      async () =>
        await get("/v1/info", ORIGIN).then(
          () => null,
          () => true,
        ),
    );
  }, 120_000);
});
