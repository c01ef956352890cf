import "../../helpers/env";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { createTestDb } from "../../helpers/db";
import { setProcessDb, type OpenDb } from "@/lib/db";
import { route } from "@/lib/http/route";
import { DomainError } from "@/lib/errors";
import { createSession, COOKIE, CSRF_HEADER } from "@/lib/session";
import { systemClock } from "@/lib/clock";
import { hitRateLimit } from "@/lib/ratelimit";

const ORIGIN = "http://localhost:3000";
let db: OpenDb;
beforeAll(async () => {
  db = await createTestDb();
  setProcessDb(db);
});
afterAll(async () => {
  await db?.close();
});

function req(method: string, body?: string, headers: Record<string, string> = {}): Request {
  return new Request(`${ORIGIN}/api/x`, {
    method,
    body,
    headers: { origin: ORIGIN, "content-type": "application/json", ...headers },
  });
}

const Body = z.object({ name: z.string().min(2, "tooShort") });
let calls = 0;
const echo = route({ body: Body }, async ({ body }) => {
  calls++;
  return { hello: body.name };
});

describe("the route wrapper", () => {
  test("refuses a state-changing request from another origin", async () => {
    const res = await echo(req("POST", '{"name":"ab"}', { origin: "https://evil.example" }));
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("CSRF_FAILED");
  });

  test("refuses a POST without Origin unless the browser says same-origin", async () => {
    const bare = new Request(`${ORIGIN}/api/x`, { method: "POST", body: '{"name":"ab"}' });
    expect((await echo(bare)).status).toBe(403);
    const same = new Request(`${ORIGIN}/api/x`, {
      method: "POST",
      body: '{"name":"ab"}',
      headers: { "sec-fetch-site": "same-origin" },
    });
    expect((await echo(same)).status).toBe(200);
  });

  test("malformed JSON is a 400 with a code, not a crash", async () => {
    const res = await echo(req("POST", "{not json"));
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("BAD_REQUEST");
  });

  test("an oversized body is refused before it is parsed", async () => {
    const res = await echo(req("POST", JSON.stringify({ name: "x".repeat(70_000) })));
    expect(res.status).toBe(413);
  });

  test("field errors come back per field in the holder's language", async () => {
    const zh = await (await echo(req("POST", '{"name":1}'))).json();
    expect(zh.error.code).toBe("VALIDATION_FAILED");
    expect(zh.error.details.fields.name).toBe("此项为必填项");
    const en = await (await echo(req("POST", '{"name":1}', { cookie: "lang=en" }))).json();
    expect(en.error.details.fields.name).toBe("This field is required");
    expect(en.error.message).toBe("Please check the highlighted fields.");
  });

  test("an unexpected error becomes a generic message with the request id, never a stack", async () => {
    const boom = route({}, async () => {
      throw new Error("secret internals at /srv/app.ts:12");
    });
    const res = await boom(new Request(`${ORIGIN}/api/x`, { headers: { "x-request-id": "req-123" } }));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toContain("req-123");
    expect(text).not.toContain("secret internals");
  });

  test("a domain error maps to its status and message", async () => {
    const r = route({}, async () => {
      throw new DomainError("RATE_LIMITED", { retryAfter: 7 });
    });
    const res = await r(new Request(`${ORIGIN}/api/x`));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect((await res.json()).error.message).toContain("7");
  });

  test("with a session, a state-changing request needs the session's CSRF token", async () => {
    const { token, session } = await createSession(db.prisma, { kind: "holder", certificateId: "c1" }, systemClock);
    const guarded = route({ session: "holder", requireSession: true }, async ({ session: s }) => ({
      cert: s!.certificateId,
    }));
    const cookie = `${COOKIE.holder}=${token}`;
    expect((await guarded(req("POST", "", { cookie }))).status).toBe(403);
    expect((await guarded(req("POST", "", { cookie, [CSRF_HEADER]: "wrong" }))).status).toBe(403);
    const ok = await guarded(req("POST", "", { cookie, [CSRF_HEADER]: session.csrfToken }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ cert: "c1" });
    expect((await guarded(req("POST", "", {}))).status).toBe(401);
  });
});

describe("idempotency keys", () => {
  const once = route({ body: Body, idempotency: "test" }, async ({ body }) => {
    calls++;
    return { n: calls, name: body.name };
  });

  test("a repeated POST returns the first result and runs once", async () => {
    const before = calls;
    const a = await (await once(req("POST", '{"name":"abc"}', { "idempotency-key": "key-aaaaaaaa" }))).json();
    const b = await (await once(req("POST", '{"name":"abc"}', { "idempotency-key": "key-aaaaaaaa" }))).json();
    expect(b).toEqual(a);
    expect(calls).toBe(before + 1);
  });

  test("the same key with another body is refused", async () => {
    await once(req("POST", '{"name":"abc"}', { "idempotency-key": "key-bbbbbbbb" }));
    const res = await once(req("POST", '{"name":"xyz"}', { "idempotency-key": "key-bbbbbbbb" }));
    expect((await res.json()).error.code).toBe("IDEMPOTENCY_MISMATCH");
  });

  test("ten parallel repeats run the handler once", async () => {
    const before = calls;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        once(req("POST", '{"name":"par"}', { "idempotency-key": "key-cccccccc" })).then((r) => r.json()),
      ),
    );
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(calls).toBe(before + 1);
  });

  test("a POST without a key is refused", async () => {
    expect((await once(req("POST", '{"name":"abc"}'))).status).toBe(400);
  });
});

describe("rate limits", () => {
  test("the attempt after the maximum is refused with the seconds to wait", async () => {
    const limit = { max: 3, windowMs: 60_000 };
    for (let i = 0; i < 3; i++) await hitRateLimit(db.prisma, "t:1", limit, systemClock);
    await expect(hitRateLimit(db.prisma, "t:1", limit, systemClock)).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await expect(hitRateLimit(db.prisma, "t:2", limit, systemClock)).resolves.toMatchObject({ count: 1 });
  });
});
