import "@/tests/helpers/env";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "@/lib/clock";
import { resetConfig } from "@/lib/config";
import { createSession } from "@/lib/session";
import { createStaffUser } from "@/lib/staff/users";
import { proxy } from "@/proxy";
import * as langRoute from "@/app/lang/[locale]/route";
import * as staffOrders from "@/app/api/staff/orders/route";
import * as sessionRoute from "@/app/api/staff/session/route";
import * as invoiceLink from "@/app/api/invoice/[token]/route";
import * as handlerRoute from "@/app/api/renew/handler/route";
import { call, codeOf, securityWorld, type SecurityWorld } from "./harness";

/**
 * Issue 21 items 8 (open redirect), 12 (no 5xx on bad input), 13 (Host header) and 14 (the demo's emulators are
 * absent in production).
 */

let w: SecurityWorld;
let staffCookie: string;
beforeAll(async () => {
  w = await securityWorld();
  const staff = await createStaffUser(
    w.db,
    { username: "inputadmin", password: "correct horse battery staple 42", role: "admin" },
    { type: "system", id: "test" },
    systemClock,
  );
  staffCookie = `cr_staff=${(await createSession(w.db, { kind: "staff", staffUserId: staff.id }, systemClock)).token}`;
});
afterAll(async () => {
  await w?.close();
});

async function langTo(next: string): Promise<string> {
  const res = await langRoute.GET(new Request(`${w.origin}/lang/zh-CN?next=${next}`), {
    params: Promise.resolve({ locale: "zh-CN" }),
  });
  expect(res.status).toBe(303);
  return res.headers.get("location")!;
}

function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    resetConfig();
  }
}

describe("open redirect (item 8)", () => {
  it.each([
    "/%5Cevil.example/x",
    "/%09/evil.example/x",
    "//evil.example",
    "/.//evil.example",
    "https://evil.example",
    "/%0a/evil.example",
  ])("next=%s stays on the portal", async (next) => {
    const location = await langTo(next);
    // as the browser resolves the Location header
    expect(new URL(location, w.origin).origin).toBe(w.origin);
  });

  it("a local path with its query survives", async () => {
    expect(await langTo(encodeURIComponent("/renew/issue?from=lang"))).toBe("/renew/issue?from=lang");
  });
});

describe("bad input is a 4xx with a code (item 12)", () => {
  it("20,000-deep JSON on an idempotent route", async () => {
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    const a = await invoiceLink.POST(call(w.origin, "/api/invoice/x", { ip: "192.0.2.1" }, `{"title":${deep}}`), {
      params: Promise.resolve({ token: "x" }),
    });
    expect(a.status).toBe(400);
    expect(await codeOf(a)).toBe("BAD_REQUEST");
    const nested = `{"handler":${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}}`;
    const b = await handlerRoute.POST(call(w.origin, "/api/renew/handler", { ip: "192.0.2.1" }, nested));
    expect(b.status).toBeLessThan(500);
  });

  it("a NUL in a staff search field", async () => {
    const res = await staffOrders.GET(
      call(w.origin, `/api/staff/orders?q=${encodeURIComponent("张\u0000三")}`, {
        ip: "192.0.2.2",
        cookie: staffCookie,
      }),
    );
    expect(res.status).toBe(400);
    expect(await codeOf(res)).toBe("BAD_REQUEST");
  });

  it.each(["/ocsp/%ZZ", "/lang/%ZZ", "/renew/%E0%A4%A"])(
    "a bad %%-escape in the path (%s) is refused up front",
    (p) => {
      const res = proxy(new NextRequest(`${w.origin}${p}`));
      expect(res.status).toBe(400);
    },
  );
});

describe("the Host header (item 13)", () => {
  it("a request for another host with a matching Origin fails the CSRF check", async () => {
    const res = await sessionRoute.POST(
      call(
        w.origin,
        "/api/staff/session",
        { ip: "192.0.2.3", headers: { host: "evil.example", origin: "http://evil.example" } },
        { username: "inputadmin", password: "correct horse battery staple 42" },
      ),
    );
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe("CSRF_FAILED");
  });

  it("a page opened by another local name is sent to the public origin; an API call for a foreign host is refused", () =>
    withEnv({ PUBLIC_ORIGIN: "http://localhost:3100", DEMO_MODE: "1" }, () => {
      const page = proxy(
        new NextRequest("http://127.0.0.1:3100/renew/issue?x=1", { headers: { host: "127.0.0.1:3100" } }),
      );
      expect(page.status).toBe(308);
      expect(page.headers.get("location")).toBe("http://localhost:3100/renew/issue?x=1");
      const local = proxy(
        new NextRequest("http://127.0.0.1:3100/api/renew/challenge", {
          method: "POST",
          headers: { host: "127.0.0.1:3100" },
        }),
      );
      expect(local.status).toBe(200); // demo mode answers its local names
      const foreign = proxy(
        new NextRequest("http://evil.example/api/renew/challenge", {
          method: "POST",
          headers: { host: "evil.example" },
        }),
      );
      expect(foreign.status).toBe(421);
      const health = proxy(new NextRequest("http://10.0.0.5:3100/api/health", { headers: { host: "10.0.0.5:3100" } }));
      expect(health.status).toBe(200);
    }));
});

describe("production without demo mode (item 14)", () => {
  it.each(["/sandbox/alipay/gateway.do", "/sandbox/alipay/pay/2026112522001400000000000001", "/dev/mail"])(
    "%s answers 404",
    (p) =>
      withEnv({ NODE_ENV: "production", DEMO_MODE: "0", PUBLIC_ORIGIN: w.origin }, () => {
        expect(proxy(new NextRequest(`${w.origin}${p}`, { headers: { host: new URL(w.origin).host } })).status).toBe(
          404,
        );
      }),
  );
});
