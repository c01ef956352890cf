import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "@/lib/dev/testing/clock";
import { isDomainError } from "@/lib/errors";
import { log } from "@/lib/log";
import { probeModules } from "@/agent/middleware/discover";
import { IsolatedBackend, type SpawnCommand } from "@/agent/middleware/isolated";
import { MODULE_HOST_FLAG } from "@/agent/middleware/host";
import type { ModuleKind } from "@/agent/middleware/known";
import { startAssistant, type RunningAssistant } from "@/agent/server";
import { issueFor, issueFromCsr, newKey, testCa, type TestCa } from "@/lib/dev/testing/openssl-certs";
import { SOFTHSM_MODULE, provisionHolderToken, useSoftHsm } from "@/lib/dev/testing/softhsm";

/**
 * Middleware isolation: every library runs in its own child process (the assistant's own entry point with
 * MODULE_HOST_FLAG). SoftHSM2 holds a real key; three C libraries built here with gcc misbehave in
 * C_GetSlotList: one aborts, one hangs, one returns CKR_GENERAL_ERROR. The assistant keeps serving the
 * SoftHSM2 key, names the broken library in TOKEN_MIDDLEWARE_ERROR, restarts a child on next use, and a
 * pending key survives a crash of its library's process.
 */

const SOFTHSM = SOFTHSM_MODULE;
const ORIGIN = "https://renew.example.cn";
const ROOT = path.resolve(import.meta.dirname, "../../..");

/** The assistant's entry point under tsx, as `tsx agent/main.ts` would start its hosts. */
const command = (kind: ModuleKind, modulePath: string): SpawnCommand => ({
  command: process.execPath,
  args: ["--import", "tsx", path.join(ROOT, "agent/main.ts"), MODULE_HOST_FLAG, kind, modulePath],
});

let work: string;
let ca: TestCa;
let serial: string;
const libs: Record<"abort" | "hang" | "error", string> = {} as never;
const backends: IsolatedBackend[] = [];
let assistant: RunningAssistant;

function isolated(name: string, modulePath: string, timeout = 20_000): IsolatedBackend {
  const b = new IsolatedBackend({
    name,
    kind: "pkcs11",
    modulePath,
    command,
    timeouts: { call: timeout, keygen: 60_000 },
  });
  backends.push(b);
  return b;
}

const middlewareError = (library: string, reason: RegExp) => (e: unknown) =>
  isDomainError(e) &&
  e.code === "TOKEN_MIDDLEWARE_ERROR" &&
  e.details.library === library &&
  reason.test(String(e.details.reason));

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "middleware-"));
  for (const [mode, flag] of [
    ["abort", "-DMODE_ABORT"],
    ["hang", "-DMODE_HANG"],
    ["error", "-DMODE_ERROR"],
  ] as const) {
    libs[mode] = path.join(work, `lib${mode}-pkcs11.so`);
    execFileSync("gcc", [
      "-shared",
      "-fPIC",
      flag,
      "-o",
      libs[mode],
      path.join(import.meta.dirname, "fixtures/broken-pkcs11.c"),
    ]);
  }
  useSoftHsm(work); // the children inherit SOFTHSM2_CONF
  ca = testCa();
  const key = newKey("ec");
  serial = provisionHolderToken({
    work,
    label: "holder",
    soPin: "so-pin-0001",
    key,
    certificate: issueFor(ca, key, "/C=CN/O=Dezhou Test/CN=holder"),
    id: "0c03",
  });
  assistant = await startAssistant({
    // a crashing, a hanging and an erring library before the good one; the good one twice (two libraries, one key)
    backends: [
      isolated("crash", libs.abort),
      isolated("hang", libs.hang, 3000),
      isolated("error", libs.error),
      isolated("softhsm", SOFTHSM),
      isolated("pkcs11", SOFTHSM),
    ],
    origins: [ORIGIN],
    port: 0,
    clock: fixedClock("2026-11-25T10:00:00.000Z"),
    log,
  });
}, 60_000);

afterAll(async () => {
  await assistant?.close();
  await Promise.all(backends.map((b) => b.close()));
  fs.rmSync(work, { recursive: true, force: true });
});

/** until the backend has seen its library's process die (SIGKILLed by the test), however busy the machine */
async function stopped(backend: IsolatedBackend): Promise<void> {
  for (let i = 0; i < 250 && backend.pid !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
  expect(backend.pid).toBeUndefined();
}

async function tokens(): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${assistant.port}/v1/tokens`, { headers: { origin: ORIGIN } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("middleware libraries in their own processes", () => {
  it("lists the good library's key once while the others crash, hang and fail", async () => {
    const { status, json } = await tokens();
    expect(status).toBe(200);
    const list = json.tokens as { id: string; certificates: { id: string }[] }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: `softhsm:${serial}`, certificates: [{ id: "0c03" }] });
  }, 30_000);

  it("names the library: crashed, no answer in time, or the error it returned", async () => {
    const [crash, hang, error] = backends;
    await expect(crash.listTokens()).rejects.toSatisfy(middlewareError("libabort-pkcs11.so", /SIGABRT/));
    await expect(hang.listTokens()).rejects.toSatisfy(middlewareError("libhang-pkcs11.so", /no answer within 3 s/));
    // a hung library does not slow every list: for a while listing fails at once, without a new process
    const started = Date.now();
    await expect(hang.listTokens()).rejects.toSatisfy(middlewareError("libhang-pkcs11.so", /no answer within 3 s/));
    expect(Date.now() - started).toBeLessThan(500);
    expect(hang.pid).toBeUndefined();
    await expect(error.listTokens()).rejects.toSatisfy(middlewareError("liberror-pkcs11.so", /CKR_GENERAL_ERROR/));
  }, 30_000);

  it("restarts a dead library's process on next use", async () => {
    const good = backends[3];
    await good.listTokens();
    const first = good.pid!;
    process.kill(first, "SIGKILL");
    await stopped(good);
    expect((await good.listTokens()).map((t) => t.serial)).toEqual([serial]);
    expect(good.pid).not.toBe(first);
  }, 30_000);

  it("never loses a pending key: keygen, the library's process dies, keygen again finds it, install works", async () => {
    const good = backends[3];
    const keygen = await good.keygen(serial, { certId: "0c03", pin: "111111" });
    process.kill(good.pid!, "SIGKILL");
    await stopped(good);
    const again = await good.keygen(serial, { certId: "0c03", pin: "111111" });
    expect(again.pendingId).toBe(keygen.pendingId);
    const newCert = issueFromCsr(ca, Buffer.from(again.csr, "base64"));
    process.kill(good.pid!, "SIGKILL");
    await stopped(good);
    const installed = await good.install(serial, { pin: "111111", certificates: [newCert, ca.der] });
    expect(installed).toMatchObject({ replacedId: "0c03", certificate: { id: keygen.pendingId } });
    const { json } = await tokens();
    expect((json.tokens as { certificates: { id: string }[] }[])[0].certificates.map((c) => c.id)).toEqual([
      keygen.pendingId,
    ]);
  }, 60_000);

  it("answers TOKEN_MIDDLEWARE_ERROR when the only libraries there are fail", async () => {
    const only = await startAssistant({
      backends: [backends[0]],
      origins: [ORIGIN],
      port: 0,
      clock: fixedClock("2026-11-25T10:00:00.000Z"),
      log,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${only.port}/v1/tokens`, { headers: { origin: ORIGIN } });
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("TOKEN_MIDDLEWARE_ERROR");
      expect(body.error.message).toContain("libabort-pkcs11.so");
    } finally {
      await only.close();
    }
  }, 30_000);

  it("sets aside a found library that cannot be loaded at all; a configured one keeps reporting", async () => {
    const notALibrary = path.join(work, "libnot-pkcs11.so");
    fs.writeFileSync(notALibrary, "not an ELF file");
    const found = isolated("found", notALibrary);
    const configured = isolated("configured", notALibrary);
    const lines: string[] = [];
    const collect = { info: (_: object, m: string) => lines.push(m), warn: (_: object, m: string) => lines.push(m) };
    await probeModules(
      [
        {
          backend: found,
          module: { name: "found", vendor: "x", kind: "pkcs11", path: notALibrary, configured: false },
        },
        {
          backend: configured,
          module: { name: "configured", vendor: "x", kind: "pkcs11", path: notALibrary, configured: true },
        },
      ],
      collect,
    );
    expect(lines).toEqual(["middleware library failed its load attempt", "middleware library failed its load attempt"]);
    await expect(found.listTokens()).resolves.toEqual([]);
    expect(found.pid).toBeUndefined();
    await expect(configured.listTokens()).rejects.toSatisfy(middlewareError("libnot-pkcs11.so", /^not loaded/));
  }, 30_000);

  it("the assistant itself (tsx agent/main.ts) starts its module hosts from its own entry point", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "agent/main.ts")], {
      cwd: ROOT,
      env: {
        ...process.env,
        ASSISTANT_PORT: String(port),
        ASSISTANT_ORIGINS: ORIGIN,
        ASSISTANT_PKCS11_MODULE: SOFTHSM,
        ASSISTANT_MODULES: `pkcs11=${libs.abort}`,
        ASSISTANT_DISCOVER_MODULES: "0",
        ASSISTANT_VIRTUAL_TOKENS: "0",
      },
      stdio: "ignore",
    });
    try {
      let list: { id: string }[] | undefined;
      for (let i = 0; i < 60 && !list; i++) {
        await new Promise((r) => setTimeout(r, 250));
        list = await fetch(`http://127.0.0.1:${port}/v1/tokens`, { headers: { origin: ORIGIN } })
          .then(async (r) => ((await r.json()) as { tokens: { id: string }[] }).tokens)
          .catch(() => undefined);
      }
      expect(list?.map((t) => t.id)).toEqual([`pkcs11:${serial}`]);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  }, 60_000);
});
