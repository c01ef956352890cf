import { describe, expect, it } from "vitest";
import { assistantConfig } from "../config";
import { expandPath, findModules } from "./discover";
import type { KnownModule } from "./known";

const known: KnownModule[] = [
  {
    id: "feitian",
    vendor: "Feitian",
    kind: "pkcs11",
    files: { win32: ["%SystemRoot%\\System32\\eps2003csp11.dll", "%SystemRoot%\\System32\\eps2003csp11v2.dll"] },
  },
  {
    id: "mtoken",
    vendor: "Longmai mToken",
    kind: "skf",
    files: { win32: ["%SystemRoot%\\System32\\mtoken_gm3000.dll"] },
  },
  { id: "opensc", vendor: "OpenSC", kind: "pkcs11", files: { win32: ["%ProgramW6432%\\OpenSC\\opensc-pkcs11.dll"] } },
];
const env = { SYSTEMROOT: "C:\\Windows" }; // %ProgramW6432% unset: its rows are skipped

describe("middleware discovery", () => {
  it("expands %VAR% case-insensitively and ~, and gives up on an unset variable", () => {
    expect(expandPath("%SystemRoot%\\System32\\x.dll", env)).toBe("C:\\Windows\\System32\\x.dll");
    expect(expandPath("%ProgramW6432%\\x.dll", env)).toBeUndefined();
    expect(expandPath("~/lib/x.so", {}, "/home/holder")).toBe("/home/holder/lib/x.so");
  });

  it("finds the known files that exist, in table order, one name per library", () => {
    const present = new Set([
      "C:\\Windows\\System32\\eps2003csp11.dll",
      "C:\\Windows\\System32\\eps2003csp11v2.dll",
      "C:\\Windows\\System32\\mtoken_gm3000.dll",
    ]);
    expect(findModules({ platform: "win32", env, known, exists: (f) => present.has(f) })).toEqual([
      {
        name: "feitian",
        vendor: "Feitian",
        kind: "pkcs11",
        path: "C:\\Windows\\System32\\eps2003csp11.dll",
        configured: false,
      },
      {
        name: "feitian2",
        vendor: "Feitian",
        kind: "pkcs11",
        path: "C:\\Windows\\System32\\eps2003csp11v2.dll",
        configured: false,
      },
      {
        name: "mtoken",
        vendor: "Longmai mToken",
        kind: "skf",
        path: "C:\\Windows\\System32\\mtoken_gm3000.dll",
        configured: false,
      },
    ]);
  });

  it("puts the setting's libraries first, uses a library once, and can turn the table off", () => {
    const present = new Set(["C:\\Windows\\System32\\eps2003csp11.dll"]);
    const configured = [
      { kind: "pkcs11" as const, path: "C:\\Windows\\System32\\EPS2003CSP11.dll" },
      { kind: "skf" as const, path: "D:\\keys\\vendor_skf.dll" },
    ];
    const found = findModules({ platform: "win32", env, known, configured, exists: (f) => present.has(f) });
    expect(found.map((m) => [m.name.replace(/[0-9a-f]{6}$/, "…"), m.configured])).toEqual([
      ["feitian", true],
      ["skf…", true],
    ]);
    expect(
      findModules({ platform: "win32", env, known, configured, discover: false, exists: () => true }),
    ).toHaveLength(2);
    expect(found.every((m) => /^[a-z0-9]{1,16}$/.test(m.name))).toBe(true);
  });

  it("reads the development setting ASSISTANT_MODULES and ASSISTANT_DISCOVER_MODULES", () => {
    const c = assistantConfig({
      ASSISTANT_MODULES: "pkcs11=/srv/a/libp11.so; skf=/srv/b/libskf.so",
      ASSISTANT_DISCOVER_MODULES: "0",
    });
    expect(c.modules).toEqual([
      { kind: "pkcs11", path: "/srv/a/libp11.so" },
      { kind: "skf", path: "/srv/b/libskf.so" },
    ]);
    expect(c.discoverModules).toBe(false);
    expect(assistantConfig({}).discoverModules).toBe(true);
    expect(() => assistantConfig({ ASSISTANT_MODULES: "csp=/x.dll" })).toThrow(/ASSISTANT_MODULES is invalid/);
  });
});
