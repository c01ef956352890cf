import { expect, test } from "@playwright/test";

/**
 * What `npm start` serves through its node:http front (scripts/portal-server.ts, lib/runtime/front.ts): the protocol
 * endpoints with validators and 304, everything else from Next with the same security headers.
 */

test("the CA certificate and the CRL carry validators and answer a conditional GET with 304", async ({ request }) => {
  for (const path of ["/ca/issuing.cer", "/ca/root.cer", "/crl/issuing.crl"]) {
    const res = await request.get(path);
    expect(res.status()).toBe(200);
    expect(res.headers()["x-content-type-options"]).toBe("nosniff");
    const etag = res.headers()["etag"];
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers()["last-modified"]).toBeTruthy();
    const again = await request.get(path, { headers: { "if-none-match": etag } });
    expect(again.status()).toBe(304);
    expect(await again.body()).toHaveLength(0);
  }
});

test("OCSP answers an unreadable request with malformedRequest, and Next answers everything else", async ({
  request,
}) => {
  const ocsp = await request.get("/ocsp/bm90LWFuLW9jc3AtcmVxdWVzdA==");
  expect(ocsp.status()).toBe(200);
  expect(ocsp.headers()["content-type"]).toBe("application/ocsp-response");
  expect((await ocsp.body()).toString("hex")).toBe("30030a0101");

  const api = await request.get("/api/health", { headers: { "x-certrenew-peer": "203.0.113.1" } });
  expect(api.status()).toBe(200);
  expect(api.headers()["x-frame-options"]).toBe("DENY");
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");
  // the nonce CSP is the documents' (proxy.ts); JSON answers carry the fixed headers only
  expect(api.headers()["content-security-policy"]).toBeUndefined();
  const page = await request.get("/faq");
  expect(page.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+'/);
  expect((await request.get("/no-such-page")).status()).toBe(404);
});
