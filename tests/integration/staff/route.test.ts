import { useTestEnv } from "@/tests/helpers/env";
import { getConfig } from "@/lib/config";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { createTestDb } from "@/tests/helpers/db";
import { setProcessDb, type Db, type OpenDb } from "@/lib/db";
import { systemClock } from "@/lib/clock";
import { COOKIE, CSRF_HEADER } from "@/lib/session";
import { signIn } from "@/lib/staff/auth";
import { createStaffUser } from "@/lib/staff/users";
import { staffPublicRoute, staffRoute } from "@/lib/staff/route";

const ORIGIN = "http://localhost:3000";
const PASSWORD = "Correct-Horse-42!";
let open: OpenDb;
let db: Db;
const sessions: Record<string, { token: string; csrf: string }> = {};

beforeAll(async () => {
  open = await createTestDb();
  db = open.prisma;
  setProcessDb(open);
  for (const role of ["helpdesk", "finance", "admin", "auditor"] as const) {
    await createStaffUser(
      db,
      { username: `r-${role}`, password: PASSWORD, role },
      { type: "system", id: "test" },
      systemClock,
    );
    const s = await signIn(db, getConfig(), { username: `r-${role}`, password: PASSWORD }, systemClock);
    sessions[role] = { token: s.token, csrf: s.session.csrfToken };
  }
});
afterAll(async () => {
  await open?.close();
});

let notes = 0;
const note = staffRoute("POST /api/staff/orders/[id]/note", { body: z.object({ note: z.string() }) }, async (ctx) => {
  notes++;
  return { by: ctx.staff.username };
});
const refund = staffRoute("POST /api/staff/orders/[id]/refund", {}, async () => ({ ok: true }));
const auditRead = staffRoute("GET /api/staff/audit/verify", {}, async (ctx) => ({ role: ctx.staff.role }));
const login = staffPublicRoute(
  "POST /api/staff/session",
  { body: z.object({ username: z.string(), password: z.string() }) },
  async (ctx) => {
    const s = await signIn(ctx.db, ctx.config, ctx.body, ctx.clock);
    ctx.setCookie(COOKIE.staff, s.token, { maxAgeSeconds: 60 });
    return { ok: true };
  },
);

function req(
  method: string,
  opts: { role?: string; csrf?: string | null; origin?: string | null; body?: unknown } = {},
): Request {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.origin !== null) headers.origin = opts.origin ?? ORIGIN;
  const s = opts.role ? sessions[opts.role] : undefined;
  if (s) headers.cookie = `${COOKIE.staff}=${s.token}`;
  const csrf = opts.csrf === undefined ? s?.csrf : opts.csrf;
  if (csrf) headers[CSRF_HEADER] = csrf;
  return new Request(`${ORIGIN}/api/staff/x`, {
    method,
    headers,
    body: method === "GET" ? undefined : JSON.stringify(opts.body ?? { note: "hi" }),
  });
}

async function code(res: Response): Promise<string> {
  return res.ok ? "ok" : ((await res.json()) as { error: { code: string } }).error.code;
}

describe("the staff route wrapper", () => {
  test("refuses a request without a session", async () => {
    const res = await note(req("POST"));
    expect(res.status).toBe(401);
    expect(await code(res)).toBe("UNAUTHENTICATED");
  });

  test("refuses a state-changing request without the session's CSRF token, and changes nothing", async () => {
    const before = notes;
    expect(await code(await note(req("POST", { role: "helpdesk", csrf: null })))).toBe("CSRF_FAILED");
    expect(await code(await note(req("POST", { role: "helpdesk", csrf: "x".repeat(32) })))).toBe("CSRF_FAILED");
    expect(await code(await note(req("POST", { role: "helpdesk", csrf: sessions.admin.csrf })))).toBe("CSRF_FAILED");
    expect(notes).toBe(before);
  });

  test("refuses a state-changing request from another origin even with the token", async () => {
    expect(await code(await note(req("POST", { role: "helpdesk", origin: "https://evil.example" })))).toBe(
      "CSRF_FAILED",
    );
  });

  test("lets the right token through", async () => {
    const res = await note(req("POST", { role: "helpdesk" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ by: "r-helpdesk" });
  });

  test("checks the role against the registry: helpdesk may not refund, finance may", async () => {
    const res = await refund(req("POST", { role: "helpdesk" }));
    expect(res.status).toBe(403);
    expect(await code(res)).toBe("FORBIDDEN");
    expect(await code(await refund(req("POST", { role: "finance" })))).toBe("ok");
    expect(await code(await refund(req("POST", { role: "auditor" })))).toBe("FORBIDDEN");
  });

  test("a read needs no CSRF token but still the permission", async () => {
    expect(await code(await auditRead(req("GET", { role: "auditor", csrf: null })))).toBe("ok");
    expect(await code(await auditRead(req("GET", { role: "helpdesk", csrf: null })))).toBe("FORBIDDEN");
  });

  test("sign-in from another origin is refused (login CSRF); from the portal it sets a strict httpOnly cookie", async () => {
    const body = { username: "r-admin", password: PASSWORD };
    expect(await code(await login(req("POST", { origin: "https://evil.example", body })))).toBe("CSRF_FAILED");
    const res = await login(req("POST", { body }));
    expect(res.status).toBe(200);
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(new RegExp(`^${COOKIE.staff}=`));
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toContain("Secure");
  });

  test("behind HTTPS the session cookie is Secure as well", async () => {
    useTestEnv({ PUBLIC_ORIGIN: "https://renew.example.cn" });
    try {
      const res = await login(
        req("POST", { origin: "https://renew.example.cn", body: { username: "r-admin", password: PASSWORD } }),
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("set-cookie")).toMatch(/HttpOnly; Secure/);
    } finally {
      delete process.env.PUBLIC_ORIGIN;
      useTestEnv();
    }
  });

  test("a session of a disabled account is refused", async () => {
    await db.staffUser.update({ where: { username: "r-auditor" }, data: { disabled: true } });
    expect(await code(await auditRead(req("GET", { role: "auditor" })))).toBe("UNAUTHENTICATED");
  });
});
