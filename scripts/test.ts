import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureSystemPackages } from "./lib/system-deps";
import { checkSystemTools } from "./lib/system-tools";
import { ensureAssistantPackage, ensureBuild } from "./build";
import { assembleRelease } from "./release/assemble";
import { LINUX_EXE } from "./lib/assistant-pack";

/**
 * `npm test`: static checks (the system tools the suites use are installed by this command and by .ci/run;
 * `npm run lint`, `format:check` and `knip`), type check, vitest (unit + integration on PGlite), the database
 * suites again on PostgreSQL when TEST_POSTGRES_URL is set (CI sets it), Playwright in Debian chromium
 * against the built app, and the cluster suite (the release twice behind nginx; tests/cluster). Ends with one line `N passed, N failed` summed over every suite; each static check
 * counts as one.
 */

interface Tally {
  name: string;
  passed: number;
  failed: number;
  /** what failed, one line each, repeated at the end where a log cut to its tail still shows it */
  failures?: string[];
}

/**
 * A failure in one line: its message's first line, and when the cause is further down (a process's log under
 * "exited (1):"), the first two lines below that name an error; stack frames are left out.
 */
function failureLine(text: string | undefined): string {
  const lines = (text ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("at "));
  const [first = "", ...rest] = lines;
  const causes = rest.filter((l) => /\b(error|errno|refused|denied|failed|cannot|unable)\b/i.test(l)).slice(0, 2);
  const line = [first, ...causes].join(" | ");
  return line.length > 600 ? `${line.slice(0, 600)}…` : line;
}

const tallies: Tally[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), "certrenew-test-"));
// Every suite's scratch files (test CAs, PGlite copies, token stores, Wine prefixes…) go under this run's folder as
// their TMPDIR, and go with it at the end: a test that forgets its own leaves nothing behind in /tmp.
// Like /tmp it is open to every user (sticky): the fault and cluster suites run their own PostgreSQL as `postgres`
// in a folder of it.
const scratch = path.join(tmp, "scratch");
mkdirSync(scratch);
chmodSync(tmp, 0o755);
chmodSync(scratch, 0o1777);
const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);

function run(cmd: string, args: string[], env: Record<string, string | undefined> = {}): number {
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, TMPDIR: scratch, ...env } });
  return r.status ?? 1;
}

function vitest(name: string, files: string[], env: Record<string, string | undefined>): void {
  const out = path.join(tmp, `${name}.json`);
  const status = run(
    process.execPath,
    [
      "node_modules/vitest/vitest.mjs",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${out}`,
      ...files,
    ],
    env,
  );
  if (!existsSync(out)) {
    tallies.push({ name, passed: 0, failed: 1, failures: [`vitest exited ${status} without a report`] });
    return;
  }
  const r = JSON.parse(readFileSync(out, "utf8")) as {
    numPassedTests: number;
    testResults: {
      name: string;
      status: string;
      message?: string;
      assertionResults: { fullName: string; status: string; failureMessages?: string[] }[];
    }[];
  };
  const where = (file: string) => path.relative(process.cwd(), file);
  const failures: string[] = [];
  for (const f of r.testResults) {
    // a file that fails to load has no assertions but must still count as a failure
    if (f.status === "failed" && f.assertionResults.length === 0)
      failures.push(`${where(f.name)}: ${failureLine(f.message) || "failed to load"}`);
    for (const a of f.assertionResults.filter((t) => t.status === "failed"))
      failures.push(`${where(f.name)} › ${a.fullName}: ${failureLine(a.failureMessages?.[0])}`);
  }
  // every test passed but vitest still failed: an unhandled error or rejection, printed above
  if (status !== 0 && failures.length === 0)
    failures.push(`vitest exited ${status} with every test passing (an unhandled error; see "Unhandled" above)`);
  tallies.push({ name, passed: r.numPassedTests, failed: failures.length, failures });
}

if (wanted("static")) {
  const checks: Tally = { name: "static", passed: 0, failed: 0, failures: [] };
  const check = (name: string, ok: boolean) => {
    console.log(`${ok ? "✓" : "✗"} ${name}`);
    if (ok) checks.passed++;
    else {
      checks.failed++;
      checks.failures?.push(name);
    }
  };
  console.log("\n▶ static: system tools");
  check("system tools", checkSystemTools(process.cwd()));
  for (const script of ["lint", "format:check", "knip"]) {
    console.log(`\n▶ static: npm run ${script}`);
    check(script, run("npm", ["run", "--silent", script]) === 0);
  }
  tallies.push(checks);
}

ensureSystemPackages();

if (wanted("types")) {
  console.log("\n▶ tsc --noEmit");
  const ok = run(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit"]) === 0;
  tallies.push({ name: "types", passed: ok ? 1 : 0, failed: ok ? 0 : 1, failures: ok ? [] : ["tsc --noEmit"] });
}

if (wanted("vitest")) {
  console.log("\n▶ vitest (PGlite)");
  vitest("vitest", [], { DATABASE_URL: "", NODE_ENV: "test" });
}

const pg = process.env.TEST_POSTGRES_URL;
if (pg && wanted("postgres")) {
  console.log("\n▶ vitest database suites (PostgreSQL)");
  vitest("postgres", ["tests/integration", "tests/faults"], { DATABASE_URL: pg, NODE_ENV: "test" });
}

function playwright(name: string, args: string[], env: Record<string, string>): void {
  const out = path.join(tmp, `${name}.json`);
  run(process.execPath, ["node_modules/@playwright/test/cli.js", "test", "--reporter=list,json", ...args], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: out,
    E2E_DATA_DIR: path.join(tmp, `${name}-data`),
    DATABASE_URL: "",
    ...env,
  });
  if (existsSync(out)) {
    const report = JSON.parse(readFileSync(out, "utf8")) as PlaywrightReport;
    const s = report.stats;
    const failures: string[] = [];
    const walk = (suite: PlaywrightSuite) => {
      for (const spec of suite.specs ?? [])
        for (const t of spec.tests)
          if (t.status === "unexpected")
            failures.push(
              `${spec.file}:${spec.line} › ${spec.title}: ${failureLine(t.results.at(-1)?.error?.message)}`,
            );
      suite.suites?.forEach(walk);
    };
    report.suites.forEach(walk);
    tallies.push({ name, passed: s.expected + s.flaky, failed: s.unexpected, failures });
  } else {
    tallies.push({ name, passed: 0, failed: 1, failures: ["playwright wrote no report"] });
  }
}

interface PlaywrightSuite {
  specs?: {
    title: string;
    file: string;
    line: number;
    tests: { status: string; results: { error?: { message?: string } }[] }[];
  }[];
  suites?: PlaywrightSuite[];
}
interface PlaywrightReport {
  stats: { expected: number; unexpected: number; flaky: number };
  suites: PlaywrightSuite[];
}

if (wanted("e2e")) {
  console.log("\n▶ playwright (chromium, production build)");
  ensureBuild();
  playwright("e2e", [], {});
  // the wizard once more, through the packed single executable instead of `tsx agent/main.ts`
  ensureAssistantPackage(process.env, true);
  const exe = path.join("dist", "assistant", LINUX_EXE);
  console.log(`\n▶ playwright: the wizard through ${exe}`);
  if (existsSync(exe)) playwright("e2e-packed", ["tests/e2e/renew-unified.spec.ts"], { ASSISTANT_EXECUTABLE: exe });
  else tallies.push({ name: "e2e-packed", passed: 0, failed: 1 });
}

// the release as deployed: two instances from release/ behind nginx, on PostgreSQL (TEST_POSTGRES_URL, or a
// throwaway server of the suite's own when run as root), one of them SIGKILLed mid-run (tests/cluster)
if (wanted("cluster")) {
  console.log("\n▶ cluster (the release ×2 behind nginx, PostgreSQL, one instance SIGKILLed)");
  ensureBuild();
  // what `npm run build` makes, in the same place (hard links into node_modules need the same file system)
  const release = path.resolve("release");
  await assembleRelease(process.cwd(), release);
  vitest("cluster", ["tests/cluster"], {
    CLUSTER_RELEASE: release,
    DATABASE_URL: "",
    NODE_ENV: "test",
  });
}

rmSync(tmp, { recursive: true, force: true });
const failures = tallies.flatMap((t) => (t.failures ?? []).map((f) => `  ${t.name}: ${f}`));
if (failures.length > 0) console.log("\nFailed:\n" + failures.join("\n"));
console.log("\nSuites: " + tallies.map((t) => `${t.name} ${t.passed}/${t.passed + t.failed}`).join(", "));
const passed = tallies.reduce((n, t) => n + t.passed, 0);
const failed = tallies.reduce((n, t) => n + t.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
