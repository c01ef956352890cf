import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * `next build`'s server output holds what the server runs, not the repository. A file-system call whose path Next
 * cannot bound (the CA folder, the data folder: known only at run time) makes it trace the whole project into
 * `.next/standalone` — tests, benches, the assistant's sources, README — with a warning per call site on every
 * newcomer's first `npm start`; one it can bound to a folder of build products copies them (dist/: the assistant's
 * installers, ~235 MB). Those call sites carry a `turbopackIgnore` comment (lib/pki/ca.ts caFile, lib/config
 * runtimePath, lib/content/downloads.ts packageFile); this checks the build that `npm test` made for the cluster
 * suite (in a full `npm test` run the assistant is built by then).
 */

const STANDALONE = path.resolve(".next", "standalone");
// what the server needs: Next's output, the traced packages, and the few files the app reads at run time
const EXPECTED = new Set([".next", "node_modules", "package.json", "server.js", "lib", "prisma"]);

describe.skipIf(!process.env.CLUSTER_RELEASE || !existsSync(STANDALONE))("the server build's output", () => {
  it("holds the server, not the whole project", () => {
    const extra = readdirSync(STANDALONE).filter((name) => !EXPECTED.has(name));
    expect(extra).toEqual([]);
    for (const dir of ["tests", "bench", "agent", "app", "components", "scripts", "dist", ".data"])
      expect(existsSync(path.join(STANDALONE, dir)), dir).toBe(false);
  });
});
