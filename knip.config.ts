import type { KnipConfig } from "knip";
import { BASE_COMMANDS, CI_ONLY_PACKAGES, TEST_PACKAGES } from "./scripts/lib/system-deps";

/**
 * `npm run knip`: unused files, exports and dependencies. Next's app/ files, instrumentation.ts, proxy.ts and
 * next.config.ts, vitest's and Playwright's configs and tests, and ESLint's config come in through knip's
 * plugins; the entries below are what no plugin knows about. A `!` marks production code: `npm run knip --
 * --production` leaves tests, benches and configs out and so lists what only tests or benches use.
 */
const SYSTEM_COMMANDS = [
  ...BASE_COMMANDS,
  ...[...TEST_PACKAGES, ...CI_ONLY_PACKAGES].flatMap((p) => p.provides).filter((t) => !t.startsWith("/")),
].map((c) => c.replace(/[.+]/g, "\\$&"));

const config: KnipConfig = {
  entry: [
    "scripts/*.{ts,cjs}!",
    // bundled into release/scripts by scripts/release/assemble.ts (esbuild entry points, not imports)
    "scripts/release/serve-main.ts!",
    // knip finds it through the "assistant" script too, but not in production mode (hence --no-config-hints
    // in package.json, which would call this line redundant)
    "agent/main.ts!",
    "bench/*.ts",
    // preloaded with NODE_OPTIONS="--require …" by bench/flow.ts
    "bench/lib/cpu-profile.cjs",
    // started as processes or bundled by the tests that name them
    "tests/faults/helpers/route-server-main.ts",
    "tests/integration/token/lna-page.ts",
    "tests/integration/token/fixtures/win-{abi,host}-check.ts",
    "tests/**/*.{test,spec}.ts",
  ],
  project: [
    "**/*.{ts,tsx,mjs,cjs,prisma}!",
    "!**/*.test.ts!",
    "!{tests,bench,scripts/lint}/**!",
    "!{knip.config,vitest.config,playwright.config}.ts!",
  ],
  // the Prisma plugin takes prisma/schema.prisma as an entry; it imports nothing
  compilers: { prisma: () => "" },
  // an export that its own file uses is an API choice, not dead code
  ignoreExportsUsedInFile: true,
  // system tools: scripts/lib/system-deps.ts installs them (and the static suite checks that it does)
  ignoreBinaries: [new RegExp(`^(${SYSTEM_COMMANDS.join("|")})$`)],
};

export default config;
