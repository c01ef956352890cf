import { expect, test } from "vitest";
import { invoiceLinkToken, linkToken, verifyInvoiceLinkToken, verifyLinkToken } from "./link-token";

const OLD = "old-session-secret-0123456789abcdef0123";
const NEW = "new-session-secret-0123456789abcdef0123";

test("SESSION_SECRET rotation: links mailed under the previous secret stay valid while it is configured", () => {
  const mailed = invoiceLinkToken({ SESSION_SECRET: OLD }, "order-1");
  expect(verifyInvoiceLinkToken({ SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD }, mailed)).toBe("order-1");
  // new links are made with the new secret only
  const fresh = invoiceLinkToken({ SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD }, "order-1");
  expect(fresh).toBe(invoiceLinkToken({ SESSION_SECRET: NEW }, "order-1"));
  // after the grace period (previous secret removed) the old links stop working
  expect(verifyInvoiceLinkToken({ SESSION_SECRET: NEW }, mailed)).toBeNull();
});

test("the previous secret does not widen what a token may do: other record, other purpose, forged", () => {
  const keys = { SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD };
  const t = linkToken({ SESSION_SECRET: OLD }, "unsubscribe", "cert-1");
  expect(verifyLinkToken(keys, "unsubscribe", t)).toBe("cert-1");
  expect(verifyLinkToken(keys, "order-invoice", t)).toBeNull();
  expect(verifyLinkToken(keys, "unsubscribe", t.replace("cert-1", "cert-2"))).toBeNull();
  expect(
    verifyLinkToken(keys, "unsubscribe", linkToken({ SESSION_SECRET: "x".repeat(40) }, "unsubscribe", "c")),
  ).toBeNull();
});
