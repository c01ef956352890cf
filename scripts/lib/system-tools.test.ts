import { describe, expect, it } from "vitest";
import { BASE_COMMANDS, CI_ONLY_PACKAGES, TEST_PACKAGES } from "./system-deps";
import { checkSystemTools, checkTools, ciRunPackages, findToolUses, type Tables } from "./system-tools";

const CI_RUN = `
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2)
command -v openssl >/dev/null || need+=(openssl)
`;

const SOFTHSM = { pkg: "softhsm2", probe: "/usr/lib/softhsm/libsofthsm2.so", provides: ["softhsm2-util"] };
const OPENSC = { pkg: "opensc", probe: "/usr/bin/pkcs11-tool", provides: ["pkcs11-tool"] };
const tables = (over: Partial<Tables> = {}): Tables => ({
  test: [SOFTHSM, OPENSC],
  ciOnly: [],
  base: ["id"],
  ciRun: new Set(["softhsm2", "opensc"]),
  ...over,
});

describe("findToolUses", () => {
  it("finds a command spawned by name, also when the name is on the next line", () => {
    const src = [
      'execFileSync("softhsm2-util", ["--show-slots"]);',
      "execFileSync(",
      '  "pkcs11-tool",',
      '  ["--module", MODULE],',
      ");",
      "const r = spawnSync('openssl', args);",
      'exec("osslsigncode verify -in x.exe");',
    ].join("\n");
    expect(findToolUses("t.ts", src).map((u) => [u.tool, u.line])).toEqual([
      ["softhsm2-util", 1],
      ["pkcs11-tool", 2],
      ["openssl", 6],
      ["osslsigncode", 7],
    ]);
  });

  it("ignores methods named exec and commands that are not literals", () => {
    const src = 'sdk.exec("alipay.trade.query", {}); /x/.exec(s); spawn(process.execPath, ["a.js"]); spawn(cmd);';
    expect(findToolUses("t.ts", src)).toEqual([]);
  });

  it("finds absolute system paths, and the bare names it is told about", () => {
    const src = [
      'const MODULE = "/usr/lib/softhsm/libsofthsm2.so";',
      "return `/usr/lib/postgresql/${v}/bin`;",
      'asPg("initdb", []); path.join(bin, "pg_ctl");',
      'const url = "/api/health"; const dir = "/tmp/x";',
    ].join("\n");
    expect(findToolUses("t.ts", src, ["initdb", "pg_ctl"]).map((u) => [u.tool, u.line])).toEqual([
      ["/usr/lib/softhsm/libsofthsm2.so", 1],
      ["/usr/lib/postgresql", 2],
      ["initdb", 3],
      ["pg_ctl", 3],
    ]);
  });
});

describe("ciRunPackages", () => {
  it("reads the packages of the need+=(…) lines", () => {
    expect([...ciRunPackages(CI_RUN)]).toEqual(["chromium", "softhsm2", "openssl"]);
  });
});

describe("checkTools", () => {
  const use = (tool: string) => ({ tool, file: "tests/x.test.ts", line: 3 });

  it("passes when every tool used comes from a package both install steps provide", () => {
    const r = checkTools([use("pkcs11-tool"), use("softhsm2-util"), use("id")], tables());
    expect(r.problems).toEqual([]);
    expect(r.rows.map((x) => [x.tool, x.pkg, x.where])).toEqual([
      ["id", null, "base system"],
      ["pkcs11-tool", "opensc", "npm test + .ci/run"],
      ["softhsm2-util", "softhsm2", "npm test + .ci/run"],
    ]);
  });

  it("fails on pkcs11-tool when neither the test command nor .ci/run installs OpenSC (the fresh-machine bug)", () => {
    const r = checkTools([use("pkcs11-tool")], tables({ test: [SOFTHSM], ciRun: new Set(["softhsm2"]) }));
    expect(r.problems).toEqual([
      "pkcs11-tool (used at tests/x.test.ts:3) is provided by no package: add its Debian package to TEST_PACKAGES in scripts/lib/system-deps.ts and to .ci/run",
    ]);
  });

  it("fails when the test command installs a package that .ci/run does not", () => {
    const r = checkTools([use("pkcs11-tool")], tables({ ciRun: new Set(["softhsm2"]) }));
    expect(r.problems).toEqual([
      ".ci/run does not install opensc (pkcs11-tool used at tests/x.test.ts:3): add `… || need+=(opensc)`",
    ]);
  });

  it("accepts a CI-only package, but still requires .ci/run to install it", () => {
    const pg = { pkg: "postgresql", probe: "/usr/lib/postgresql", provides: ["pg_ctl", "/usr/lib/postgresql"] };
    const used = [use("pg_ctl"), use("/usr/lib/postgresql/15/bin")];
    expect(
      checkTools(used, tables({ ciOnly: [pg], ciRun: new Set(["softhsm2", "opensc", "postgresql"]) })).problems,
    ).toEqual([]);
    expect(checkTools(used, tables({ ciOnly: [pg] })).problems).toEqual([
      ".ci/run does not install postgresql (/usr/lib/postgresql/15/bin used at tests/x.test.ts:3): add `… || need+=(postgresql)`",
    ]);
  });

  it("does not take a path for a base command", () => {
    expect(checkTools([use("/usr/bin/id")], tables()).problems).toHaveLength(1);
  });
});

describe("this repository", () => {
  it("installs every system tool its suites use, in the test command and in .ci/run", () => {
    const lines: string[] = [];
    expect(
      checkSystemTools(process.cwd(), (l) => lines.push(l)),
      lines.join("\n"),
    ).toBe(true);
    expect(lines.join("\n")).toMatch(/pkcs11-tool\s+opensc\s+npm test \+ \.ci\/run/);
  });

  it("keeps the tables' package names distinct", () => {
    const names = [...TEST_PACKAGES, ...CI_ONLY_PACKAGES].map((p) => p.pkg);
    expect(new Set(names).size).toBe(names.length);
    expect(BASE_COMMANDS.some((c) => names.includes(c))).toBe(false);
  });
});
