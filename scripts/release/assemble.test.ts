import { expect, test } from "vitest";
import { productionPackages } from "./assemble";

test("the release carries the production dependencies of package-lock.json and no devDependencies", () => {
  const pkgs = productionPackages(process.cwd());
  for (const p of ["next", "pg", "@prisma/client", "@electric-sql/pglite", "prom-client", "pino", "react"])
    expect(pkgs, p).toContain(p);
  for (const p of [
    "vitest",
    "eslint",
    "typescript",
    "@playwright/test",
    "knip",
    "prettier",
    "fast-check",
    "autocannon",
  ])
    expect(pkgs, p).not.toContain(p);
});
