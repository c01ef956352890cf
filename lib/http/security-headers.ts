/**
 * The headers every answer of the portal carries, whoever answers: next.config.ts gives them to Next's answers and
 * the node:http front to the API answers it makes itself (lib/runtime/direct.ts). The pages' nonce CSP is
 * proxy.ts's.
 */
export const EVERY_ANSWER_HEADERS: ReadonlyArray<{ key: string; value: string }> = [
  { key: "x-frame-options", value: "DENY" },
  { key: "x-content-type-options", value: "nosniff" },
  { key: "referrer-policy", value: "strict-origin-when-cross-origin" },
  { key: "permissions-policy", value: "camera=(), microphone=(), geolocation=()" },
];

/** Over HTTPS (the load balancer says so in X-Forwarded-Proto) the answer also asks browsers to stay on HTTPS. */
export const HTTPS_ANSWER_HEADERS: ReadonlyArray<{ key: string; value: string }> = [
  { key: "strict-transport-security", value: "max-age=31536000; includeSubDomains" },
];
