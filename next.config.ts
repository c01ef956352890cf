import type { NextConfig } from "next";

const config: NextConfig = {
  // PGlite loads its wasm from its own package directory; bundling breaks that at run time.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pglite-prisma-adapter",
    "koffi",
    "pino",
    "svg-captcha",
    "alipay-sdk",
    "nodemailer",
    // one registry per process, shared with the front (lib/metrics/cluster.ts aggregates the processes)
    "prom-client",
  ],
  // `npm run build` assembles release/ from .next/standalone (scripts/release/assemble.ts): build once, run many
  output: "standalone",
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm test` runs `tsc --noEmit` over the whole repository; the build need not type-check again.
  typescript: { ignoreBuildErrors: true },
  outputFileTracingExcludes: { "*": [".data/**", "tests/**", "bench/**", "agent/**"] },
};

export default config;
