import { describe, expect, test } from "vitest";
import { DomainError, isDbUnavailable, toErrorResponse } from "./index";

describe("error mapping", () => {
  test.each([
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
    [
      "an administrator shutdown (57P01)",
      Object.assign(
        new Error("Database error. Code: `57P01`. Message: `terminating connection due to administrator command`"),
        { code: "P2039" },
      ),
    ],
    [
      "a transaction that could not start",
      Object.assign(new Error("Transaction API error: Unable to start a transaction in the given time."), {
        code: "P2028",
      }),
    ],
    ["a plain object thrown by a driver", { message: "Connection terminated unexpectedly" }],
    [
      "a pooled client broken by the restart",
      new Error("Client has encountered a connection error and is not queryable"),
    ],
  ])("%s is a 503 with a retry hint, not a 500", (_name, e) => {
    expect(isDbUnavailable(e)).toBe(true);
    const r = toErrorResponse(e, "zh-CN", "r1");
    expect(r.status).toBe(503);
    expect(r.body.error.details?.retryAfter).toBe(5);
  });

  test("a unique violation is not an outage", () => {
    expect(
      isDbUnavailable(
        Object.assign(new Error("Unique constraint failed on the fields: (`serial`)"), { code: "P2002" }),
      ),
    ).toBe(false);
  });

  test("a domain error keeps its status and its message in the holder's language", () => {
    const r = toErrorResponse(new DomainError("RATE_LIMITED", { retryAfter: 9 }), "en", "r2");
    expect(r.status).toBe(429);
    expect(r.body.error.message).toBe("Too many attempts. Please try again in 9 seconds.");
  });

  test("anything else is INTERNAL with only the request id", () => {
    const r = toErrorResponse(new TypeError("x is undefined at /srv/lib/a.ts:3"), "zh-CN", "req-7");
    expect(r.status).toBe(500);
    expect(JSON.stringify(r.body)).not.toContain("/srv/lib");
    expect(r.body.error.message).toContain("req-7");
  });
});
