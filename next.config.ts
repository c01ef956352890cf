import type { NextConfig } from "next";
import { EVERY_ANSWER_HEADERS, HTTPS_ANSWER_HEADERS } from "./lib/http/security-headers";

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
  // the same on every answer (lib/http/security-headers.ts; the pages' nonce CSP is proxy.ts's)
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [...EVERY_ANSWER_HEADERS],
      },
      {
        source: "/:path*",
        has: [{ type: "header", key: "x-forwarded-proto", value: "https" }],
        headers: [...HTTPS_ANSWER_HEADERS],
      },
    ];
  },
  reactStrictMode: true,
  // `npm test` runs `tsc --noEmit` over the whole repository; the build need not type-check again.
  typescript: { ignoreBuildErrors: true },
  outputFileTracingExcludes: { "*": [".data/**", "tests/**", "bench/**", "agent/**"] },
};

export default config;
