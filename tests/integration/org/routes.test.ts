import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfig } from "@/lib/config";
import { setProcessDb, type Db, type OpenDb } from "@/lib/db";
import { resetCa, type Ca } from "@/lib/pki/ca";
import { COOKIE } from "@/lib/session";
import { systemClock } from "@/lib/clock";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa } from "@/tests/helpers/pki";
import { browserRequest, type Browser } from "@/tests/helpers/http";
import { demoCreditCode } from "@/lib/dev/demo/holders";
import { linkCertificate, upsertOrganisation } from "@/lib/org/organisations";
import * as challengeRoute from "@/app/api/renew/challenge/route";
import * as loginRoute from "@/app/api/org/login/route";
import * as holdersRoute from "@/app/api/org/holders/route";
import * as reportRoute from "@/app/api/org/report/route";
import * as batchesRoute from "@/app/api/org/batches/route";
import * as holderLoginRoute from "@/app/api/renew/login/route";
import { holder, seedFeeTiers, signText, type Holder } from "../renew/fixture";

/** 大客户专区's routes as Next calls them: the org cookie, its CSRF token, zod on the input, errors in Chinese. */

let opened: OpenDb;
let db: Db;
let ca: Ca;
let orgCert: Holder;
let member: Holder;
const staff = { type: "staff" as const, id: "staff-1" };

const request = (path: string, b: Browser, body?: unknown) =>
  browserRequest(path, b, body, { "x-real-ip": "10.7.7.7", "idempotency-key": crypto.randomUUID() });

async function signIn(h: Holder, route: typeof loginRoute | typeof holderLoginRoute = loginRoute) {
  const c = await (await challengeRoute.POST(request("/api/renew/challenge", {}, { serial: h.row.serial }))).json();
  const res = await route.POST(
    request("/api/org/login", {}, { challenge: c.challenge, signature: signText(h.key, c.challenge) }),
  );
  const body = await res.clone().json();
  return { res, cookie: (res.headers.get("set-cookie") ?? "").split(";")[0], csrf: body.csrfToken as string };
}

beforeAll(async () => {
  ({ ca } = await createTestCa());
  resetCa();
  opened = await createTestDb();
  db = opened.prisma as Db;
  setProcessDb(opened);
  await seedFeeTiers(db);
  const org = await upsertOrganisation(
    db,
    { name: "德州市路由测试单位", creditCode: demoCreditCode(9101), contactEmail: "c@org.example.cn" },
    staff,
    systemClock,
  );
  orgCert = await holder(db, ca, {
    certType: "organisation",
    daysLeft: 300,
    cn: "德州市路由测试单位",
    from: new Date(),
  });
  await linkCertificate(db, {
    serial: orgCert.row.serial,
    organisationId: org.id,
    console: true,
    actor: staff,
    clock: systemClock,
  });
  member = await holder(db, ca, { payerClass: "self", daysLeft: 40, cn: "路由成员", from: new Date() });
  await linkCertificate(db, { serial: member.row.serial, organisationId: org.id, actor: staff, clock: systemClock });
});
afterAll(async () => {
  resetConfig();
  await opened?.close();
});

describe("大客户专区 routes", () => {
  it("signs in with the organisation certificate: an httpOnly cr_org cookie; a holder cookie does not open it", async () => {
    const s = await signIn(orgCert);
    expect(s.res.status).toBe(200);
    expect(s.cookie.startsWith(`${COOKIE.org}=`)).toBe(true);
    expect(s.res.headers.get("set-cookie")).toMatch(/HttpOnly/i);

    const holders = await holdersRoute.GET(request("/api/org/holders?filter=too_early", s));
    expect(holders.status).toBe(200);
    const list = (await holders.json()) as { holders: { serial: string; status: string }[] };
    expect(list.holders.map((r) => [r.serial, r.status])).toEqual([[member.row.serial, "too_early"]]);

    // the holder's own session cookie, renamed, is not an org session
    const asHolder = await signIn(member, holderLoginRoute);
    const forged = { cookie: asHolder.cookie.replace(`${COOKIE.holder}=`, `${COOKIE.org}=`) };
    expect((await holdersRoute.GET(request("/api/org/holders", forged))).status).toBe(401);
  });

  it("refuses a personal certificate with the Chinese reason", async () => {
    const s = await signIn(member);
    expect(s.res.status).toBe(403);
    const body = (await s.res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("ORG_CERT_NOT_REGISTERED");
    expect(body.error.message).toContain("大客户专区");
  });

  it("serves the expiry report as CSV with a UTF-8 BOM, and checks CSRF and input on a batch", async () => {
    const s = await signIn(orgCert);
    const res = await reportRoute.GET(request("/api/org/report", s));
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="expiry-report-/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString("utf8")).toContain("路由成员");

    const noCsrf = await batchesRoute.POST(
      request("/api/org/batches", { cookie: s.cookie }, { kind: "alipay", serials: [member.row.serial] }),
    );
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: { code: string } }).error.code).toBe("CSRF_FAILED");
    const bad = await batchesRoute.POST(request("/api/org/batches", s, { kind: "gift", serials: ["zz"] }));
    expect(bad.status).toBe(422);
    const contract = await batchesRoute.POST(
      request("/api/org/batches", s, { kind: "contract", serials: [member.row.serial] }),
    );
    expect(contract.status).toBe(403);
    expect(((await contract.json()) as { error: { code: string } }).error.code).toBe("ORG_CONTRACT_INACTIVE");
  });
});
