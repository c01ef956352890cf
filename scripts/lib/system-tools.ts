import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { BASE_COMMANDS, CI_ONLY_PACKAGES, TEST_PACKAGES, type SystemPackage } from "./system-deps";

/**
 * Which system tools the code that `npm test` runs uses, and whether the install steps provide each one:
 * a test that spawns a command nobody installs passes only on machines where someone installed it by hand
 * (OpenSC's pkcs11-tool was such a tool). Part of the "static" suite.
 */

/** Where the suites' code lives (bench/ is not run by `npm test`). */
export const SCANNED = ["lib", "agent", "scripts", "tests", "app", "playwright.config.ts", "vitest.config.ts"];
/**
 * The tables themselves and this checker's fixtures name tools without using them; so does the assistant's
 * table of vendor middleware (paths on holders' computers, looked for at start, never run by the suites).
 */
const SELF = [
  "scripts/lib/system-deps.ts",
  "scripts/lib/system-tools.ts",
  "scripts/lib/system-tools.test.ts",
  "agent/middleware/known.ts",
];

export interface ToolUse {
  tool: string;
  file: string;
  line: number;
}

// a command spawned by name: spawn("x", …), execFileSync(\n "x", …), exec("x -v") (not foo.exec(…))
const SPAWN = /(?<![\w.])(?:spawn|spawnSync|execFile|execFileSync|exec|execSync)\s*\(\s*(["'`])([^"'`$]+?)\1/g;
// an absolute path into the system: "/usr/lib/softhsm/libsofthsm2.so", `/usr/lib/postgresql/${v}/bin`
const SYSTEM_PATH = /(["'`])(\/(?:usr|bin|sbin|lib|lib64|opt|etc)\/[^"'`$\s*]*)/g;

const isPath = (s: string) => s.startsWith("/");
const trimSlash = (s: string) => (s.length > 1 ? s.replace(/\/+$/, "") : s);

/** The system tools one source text uses, with their lines. `known` adds bare names (e.g. "pg_ctl" passed to path.join). */
export function findToolUses(file: string, text: string, known: string[] = []): ToolUse[] {
  const uses: ToolUse[] = [];
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  for (const m of text.matchAll(SPAWN)) {
    const tool = m[2].trim().split(/\s+/)[0];
    uses.push({ tool: isPath(tool) ? trimSlash(tool) : path.basename(tool), file, line: lineOf(m.index) });
  }
  for (const m of text.matchAll(SYSTEM_PATH)) {
    if (uses.some((u) => u.line === lineOf(m.index) && u.tool === trimSlash(m[2]))) continue;
    uses.push({ tool: trimSlash(m[2]), file, line: lineOf(m.index) });
  }
  for (const name of known.filter((k) => !isPath(k))) {
    const literal = new RegExp(`(["'\`])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\1`, "g");
    for (const m of text.matchAll(literal)) {
      const line = lineOf(m.index);
      if (!uses.some((u) => u.line === line && u.tool === name)) uses.push({ tool: name, file, line });
    }
  }
  return uses;
}

/** The Debian packages .ci/run installs (its `need+=(pkg)` lines). */
export function ciRunPackages(script: string): Set<string> {
  const out = new Set<string>();
  for (const m of script.matchAll(/need\+=\(([^)]*)\)/g)) for (const p of m[1].trim().split(/\s+/)) out.add(p);
  return out;
}

function provides(pkg: SystemPackage, tool: string): boolean {
  return pkg.provides.some((p) =>
    isPath(p) && isPath(tool) ? tool === trimSlash(p) || tool.startsWith(trimSlash(p) + "/") : p === tool,
  );
}

export interface ToolRow {
  tool: string;
  pkg: string | null;
  where: "npm test + .ci/run" | ".ci/run only" | "base system" | "nobody";
  uses: ToolUse[];
}

export interface Tables {
  test: SystemPackage[];
  ciOnly: SystemPackage[];
  base: string[];
  ciRun: Set<string>;
}

/** One row per tool, and the problems: a tool no package provides, or a package .ci/run does not install. */
export function checkTools(uses: ToolUse[], t: Tables): { rows: ToolRow[]; problems: string[] } {
  const problems: string[] = [];
  const byTool = new Map<string, ToolUse[]>();
  for (const u of uses) byTool.set(u.tool, [...(byTool.get(u.tool) ?? []), u]);
  const rows: ToolRow[] = [];
  for (const [tool, at] of [...byTool].sort(([a], [b]) => a.localeCompare(b))) {
    const first = `${at[0].file}:${at[0].line}`;
    const testPkg = t.test.find((p) => provides(p, tool));
    const ciPkg = t.ciOnly.find((p) => provides(p, tool));
    if (testPkg) {
      rows.push({ tool, pkg: testPkg.pkg, where: "npm test + .ci/run", uses: at });
    } else if (ciPkg) {
      rows.push({ tool, pkg: ciPkg.pkg, where: ".ci/run only", uses: at });
    } else if (!isPath(tool) && t.base.includes(tool)) {
      rows.push({ tool, pkg: null, where: "base system", uses: at });
    } else {
      rows.push({ tool, pkg: null, where: "nobody", uses: at });
      problems.push(
        `${tool} (used at ${first}) is provided by no package: add its Debian package to TEST_PACKAGES in ` +
          `scripts/lib/system-deps.ts and to .ci/run`,
      );
    }
  }
  for (const p of [...t.test, ...t.ciOnly]) {
    if (!t.ciRun.has(p.pkg)) {
      const row = rows.find((r) => r.pkg === p.pkg);
      const at = row ? ` (${row.tool} used at ${row.uses[0].file}:${row.uses[0].line})` : "";
      problems.push(`.ci/run does not install ${p.pkg}${at}: add \`… || need+=(${p.pkg})\``);
    }
  }
  return { rows, problems };
}

function sourceFiles(root: string, rel: string): string[] {
  const abs = path.join(root, rel);
  let entries;
  try {
    entries = readdirSync(abs, { withFileTypes: true });
  } catch {
    return /\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(rel) ? [rel] : [];
  }
  return entries.flatMap((e) =>
    e.name === "node_modules" || e.name.startsWith(".") ? [] : sourceFiles(root, path.posix.join(rel, e.name)),
  );
}

/** Scans the tree at `root`, prints the table and the problems; true when there are none. */
export function checkSystemTools(root: string, log: (line: string) => void = console.log): boolean {
  const tables: Tables = {
    test: TEST_PACKAGES,
    ciOnly: CI_ONLY_PACKAGES,
    base: BASE_COMMANDS,
    ciRun: ciRunPackages(readFileSync(path.join(root, ".ci/run"), "utf8")),
  };
  const known = [...TEST_PACKAGES, ...CI_ONLY_PACKAGES].flatMap((p) => p.provides);
  const uses = SCANNED.flatMap((d) => sourceFiles(root, d))
    .filter((f) => !SELF.includes(f))
    .flatMap((f) => findToolUses(f, readFileSync(path.join(root, f), "utf8"), known));
  const { rows, problems } = checkTools(uses, tables);
  log("system tools the suites use → Debian package (installed by):");
  for (const r of rows) {
    const files = [...new Set(r.uses.map((u) => u.file))];
    const shown = files.slice(0, 3).join(", ") + (files.length > 3 ? `, +${files.length - 3} more` : "");
    log(`  ${r.tool.padEnd(40)} ${(r.pkg ?? "-").padEnd(15)} ${r.where.padEnd(18)} ${shown}`);
  }
  for (const p of problems) log(`  ✗ ${p}`);
  return problems.length === 0;
}
