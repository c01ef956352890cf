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
  // the same on every answer (the pages' nonce CSP is proxy.ts's; the node:http front sets these on its own answers)
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "x-frame-options", value: "DENY" },
          { key: "x-content-type-options", value: "nosniff" },
          { key: "referrer-policy", value: "strict-origin-when-cross-origin" },
          { key: "permissions-policy", value: "camera=(), microphone=(), geolocation=()" },
        ],
      },
      {
        source: "/:path*",
        has: [{ type: "header", key: "x-forwarded-proto", value: "https" }],
        headers: [{ key: "strict-transport-security", value: "max-age=31536000; includeSubDomains" }],
      },
    ];
  },
  reactStrictMode: true,
  // `npm test` runs `tsc --noEmit` over the whole repository; the build need not type-check again.
  typescript: { ignoreBuildErrors: true },
  outputFileTracingExcludes: { "*": [".data/**", "tests/**", "bench/**", "agent/**"] },
};

export default config;
