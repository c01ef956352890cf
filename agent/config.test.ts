import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assistantConfig, settingsDir } from "./config";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "assistant-config-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (file: string, value: unknown) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
};

describe("assistantConfig: settings files", () => {
  it("without files or variables: port 17443, the development origin, no settings read", () => {
    const c = assistantConfig({ XDG_CONFIG_HOME: dir }, { platform: "linux" });
    expect(c).toMatchObject({ port: 17443, origins: ["http://localhost:3000"], modules: [], settingsFiles: [] });
  });

  it("the installed program: origins from portal.json and the per-user file, port and modules from the file", () => {
    const program = path.join(dir, "program");
    write(path.join(program, "portal.json"), { origins: ["https://renew.example.cn"] });
    const user = path.join(dir, "cfg", "certrenew", "assistant.json");
    // a BOM (Notepad) and unknown fields (a newer installer) are fine
    write(
      user,
      "\uFEFF" +
        JSON.stringify({
          origins: ["https://renew.example.cn/", "https://old.example.cn"],
          port: 17500,
          modules: [{ kind: "skf", path: "C:\\Windows\\System32\\vendor_skf.dll" }],
          future: true,
        }),
    );
    const c = assistantConfig({ XDG_CONFIG_HOME: path.join(dir, "cfg") }, { programDir: program, platform: "linux" });
    expect(c.origins).toEqual(["https://renew.example.cn", "https://old.example.cn"]);
    expect(c.port).toBe(17500);
    expect(c.modules).toEqual([{ kind: "skf", path: "C:\\Windows\\System32\\vendor_skf.dll" }]);
    expect(c.settingsFiles).toEqual([path.join(program, "portal.json"), user]);
    // installed: no virtual tokens unless asked; then they live in the settings folder, not the current directory
    expect(c.virtualDir).toBeNull();
    write(user, { virtualTokens: true });
    expect(
      assistantConfig({ XDG_CONFIG_HOME: path.join(dir, "cfg") }, { programDir: program, platform: "linux" })
        .virtualDir,
    ).toBe(path.join(dir, "cfg", "certrenew", "tokens"));
  });

  it("environment variables win over the files (development and tests)", () => {
    write(path.join(dir, "a.json"), { origins: ["https://renew.example.cn"], port: 17500 });
    const c = assistantConfig({
      ASSISTANT_SETTINGS: path.join(dir, "a.json"),
      ASSISTANT_ORIGINS: "http://localhost:3100",
      ASSISTANT_PORT: "17600",
    });
    expect(c.origins).toEqual(["http://localhost:3100"]);
    expect(c.port).toBe(17600);
  });

  it("a broken settings file stops the start with the file's name and the reason", () => {
    write(path.join(dir, "bad.json"), "{ not json");
    expect(() => assistantConfig({ ASSISTANT_SETTINGS: path.join(dir, "bad.json") })).toThrow(
      /bad\.json is invalid: not JSON/,
    );
    write(path.join(dir, "bad2.json"), { origins: ["https://renew.example.cn/path"] });
    expect(() => assistantConfig({ ASSISTANT_SETTINGS: path.join(dir, "bad2.json") })).toThrow(/bad2\.json is invalid/);
    write(path.join(dir, "bad3.json"), { modules: [{ kind: "other", path: "x" }] });
    expect(() => assistantConfig({ ASSISTANT_SETTINGS: path.join(dir, "bad3.json") })).toThrow(/modules\.0\.kind/);
  });

  it("Windows keeps the settings in %APPDATA%\\CertRenew", () => {
    expect(settingsDir({ APPDATA: "C:\\Users\\li\\AppData\\Roaming" }, "win32")).toBe(
      path.join("C:\\Users\\li\\AppData\\Roaming", "CertRenew"),
    );
  });
});
