import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": import.meta.dirname } },
  test: {
    include: [
      "lib/**/*.test.ts",
      "agent/**/*.test.ts",
      "scripts/**/*.test.ts",
      "tests/integration/**/*.test.ts",
      "tests/faults/**/*.test.ts",
      // skipped unless CLUSTER_RELEASE names a release folder (npm test's "cluster" suite sets it)
      "tests/cluster/**/*.test.ts",
    ],
    environment: "node",
    globalSetup: ["tests/helpers/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
