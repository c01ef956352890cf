import "@/tests/helpers/env";
import { beforeAll, describe, expect, it } from "vitest";
import { type Db } from "@/lib/db";
import { type Ca } from "@/lib/pki/ca";
import { sha256Hex } from "@/lib/pki/x509";
import { COOKIE } from "@/lib/session";
import { issueChallenge } from "@/lib/renewal/pop";
import { browserRequest as request, type Browser } from "@/tests/helpers/http";
import * as challengeRoute from "@/app/api/renew/challenge/route";
import * as loginRoute from "@/app/api/renew/login/route";
import * as handlerRoute from "@/app/api/renew/handler/route";
import * as confirmRoute from "@/app/api/renew/confirm/route";
import * as issueChallengeRoute from "@/app/api/renew/issue-challenge/route";
import * as issueRoute from "@/app/api/renew/issue/route";
import * as installedRoute from "@/app/api/renew/installed/route";
import * as statusRoute from "@/app/api/renew/status/route";
import * as paymentRoute from "@/app/api/renew/payment/route";
import { HANDLER, holder, markPaid, newClock, newKeyAndCsr, useRenewWorld, signText, type Holder } from "./fixture";
import { CONSENT_VERSIONS } from "@/lib/consent";

let db: Db;
let ca: Ca;

const world = useRenewWorld({ routes: true });
beforeAll(() => ({ db, ca } = world));

const key = () => crypto.randomUUID();

async function signIn(h: Holder): Promise<Browser & { res: Response }> {
  const c = await (await challengeRoute.POST(request("/api/renew/challenge", {}, { serial: h.row.serial }))).json();
  const res = await loginRoute.POST(
    request("/api/renew/login", {}, { challenge: c.challenge, signature: signText(h.key, c.challenge) }),
  );
  const setCookie = res.headers.get("set-cookie") ?? "";
  const body = await res.clone().json();
  return { res, cookie: setCookie.split(";")[0], csrf: body.csrfToken };
}

describe("the holder API", () => {
  /** 经办人 info through the route (captcha bypassed): the draft order's JSON. */
  async function saveDraft(b: Browser) {
    const res = await handlerRoute.POST(
      request(
        "/api/renew/handler",
        b,
        { handler: HANDLER, captchaId: "00000000-0000-4000-8000-000000000000", captchaAnswer: "test-bypass" },
        { "idempotency-key": key() },
      ),
    );
    return res.json();
  }

  it("signs in with a strict, HttpOnly session cookie; an ineligible certificate gets its reason and no cookie", async () => {
    const ok = await signIn(await holder(db, ca, { from: new Date() }));
    expect(ok.res.status).toBe(200);
    expect(ok.res.headers.get("set-cookie")).toMatch(
      new RegExp(`^${COOKIE.holder}=[^;]+; Path=/; SameSite=Strict; HttpOnly`),
    );

    const early = await signIn(await holder(db, ca, { daysLeft: 45, from: new Date() }));
    expect(early.res.status).toBe(409);
    expect((await early.res.json()).error).toMatchObject({ code: "RENEWAL_TOO_EARLY", details: { windowDays: 30 } });
    expect(early.res.headers.get("set-cookie")).toBeNull();
  });

  it("refuses holder POSTs without the session's CSRF token or from another origin, changing nothing", async () => {
    const h = await holder(db, ca, { from: new Date() });
    const b = await signIn(h);
    const body = { handler: HANDLER, captchaId: "00000000-0000-4000-8000-000000000000", captchaAnswer: "test-bypass" };
    expect(
      (await handlerRoute.POST(request("/api/renew/handler", { cookie: b.cookie }, body, { "idempotency-key": key() })))
        .status,
    ).toBe(403);
    expect(
      (
        await handlerRoute.POST(
          request("/api/renew/handler", b, body, { "idempotency-key": key(), origin: "https://evil.example" }),
        )
      ).status,
    ).toBe(403);
    expect(await db.renewalOrder.count({ where: { certificateId: h.row.id } })).toBe(0);
  });

  it("answers a repeated 确认提交 with the first response and submits once", async () => {
    const h = await holder(db, ca, { payerClass: "self", from: new Date() });
    const b = await signIn(h);
    const draft = await saveDraft(b);
    const k = key();
    const [a, c] = await Promise.all([
      confirmRoute.POST(
        request("/api/renew/confirm", b, { orderId: draft.id, consent: CONSENT_VERSIONS }, { "idempotency-key": k }),
      ),
      confirmRoute.POST(
        request("/api/renew/confirm", b, { orderId: draft.id, consent: CONSENT_VERSIONS }, { "idempotency-key": k }),
      ),
    ]);
    expect([a.status, c.status]).toEqual([200, 200]);
    expect((await a.json()).state).toBe("awaiting_payment");
    expect(await db.auditEvent.count({ where: { targetId: draft.id, action: "order.submitted" } })).toBe(1);
  });

  it("the payment page's status request waits for the payment (?wait) and answers the moment it lands", async () => {
    const b = await signIn(await holder(db, ca, { payerClass: "self", from: new Date() }));
    const draft = await saveDraft(b);
    const confirm = { orderId: draft.id, consent: CONSENT_VERSIONS };
    await confirmRoute.POST(request("/api/renew/confirm", b, confirm, { "idempotency-key": key() }));
    const status = (wait: string) =>
      paymentRoute.GET(request(`/api/renew/payment?orderId=${draft.id}&wait=${wait}`, b));
    const timed = async (wait: string) => {
      const t = performance.now();
      const res = await status(wait);
      return { status: res.status, body: await res.json(), ms: performance.now() - t };
    };

    // nothing happens: answered when the wait is over
    const idle = await timed("1");
    expect([idle.status, idle.body]).toEqual([200, { state: "awaiting_payment", paid: false, step: "pay" }]);
    expect(idle.ms).toBeGreaterThanOrEqual(900);

    // the payment lands while the request waits (the notification's transaction): answered then
    const waiting = timed("10");
    setTimeout(() => void markPaid(db, draft.id, newClock()), 300);
    const paid = await waiting;
    expect([paid.status, paid.body]).toEqual([200, { state: "paid", paid: true, step: "invoice" }]);
    expect(paid.ms).toBeGreaterThanOrEqual(250);
    expect(paid.ms).toBeLessThan(5_000);

    // a wait out of bounds is refused, in the holder's language, before anything is read
    for (const wait of ["11", "-1", "x", "1.5"]) {
      const bad = await timed(wait);
      expect([bad.status, bad.body.error.code]).toEqual([422, "VALIDATION_FAILED"]);
      expect(bad.body.error.details.fields.wait).toMatch(/[\u4e00-\u9fff]/); // said in the holder's language (zh)
      expect(bad.ms).toBeLessThan(900);
    }
  });

  it("does not show or confirm another holder's order", async () => {
    const a = await signIn(await holder(db, ca, { from: new Date() }));
    const draft = await saveDraft(a);
    const other = await signIn(await holder(db, ca, { from: new Date() }));
    const res = await confirmRoute.POST(
      request(
        "/api/renew/confirm",
        other,
        { orderId: draft.id, consent: CONSENT_VERSIONS },
        { "idempotency-key": key() },
      ),
    );
    expect((await res.json()).error.code).toBe("RENEWAL_NO_ORDER");
    expect((await (await statusRoute.GET(request("/api/renew/status", other))).json()).order).toBeNull();
  });

  it("runs a unified-payment renewal over HTTP to installed; a repeated 下证 POST returns the same certificate", async () => {
    const h = await holder(db, ca, { payerClass: "unified", from: new Date() });
    const b = await signIn(h);
    const draft = await saveDraft(b);
    expect(
      (
        await (
          await confirmRoute.POST(
            request(
              "/api/renew/confirm",
              b,
              { orderId: draft.id, consent: CONSENT_VERSIONS },
              { "idempotency-key": key() },
            ),
          )
        ).json()
      ).step,
    ).toBe("issue");

    const newKey = newKeyAndCsr();
    const csr = newKey.csr.toString("base64");
    const c = await (
      await issueChallengeRoute.POST(request("/api/renew/issue-challenge", b, { orderId: draft.id, csr }))
    ).json();
    expect(c.challenge).toContain(`csr-sha256: ${sha256Hex(Buffer.from(csr, "base64"))}`);
    const issueBody = { orderId: draft.id, csr, challenge: c.challenge, signature: signText(h.key, c.challenge) };
    const k = key();
    const first = await (
      await issueRoute.POST(request("/api/renew/issue", b, issueBody, { "idempotency-key": k }))
    ).json();
    const again = await (
      await issueRoute.POST(request("/api/renew/issue", b, issueBody, { "idempotency-key": k }))
    ).json();
    expect(again.certificate.serial).toBe(first.certificate.serial);
    expect(again.pkcs7).toBe(first.pkcs7);
    // the answer brings the install confirmation's challenge: a login challenge for the new certificate
    expect(first.install.challenge).toContain(`serial: ${first.certificate.serial}`);
    expect(first.install.challenge).toContain("purpose: login");
    expect(again.install).toEqual(first.install);

    const reused = await issueRoute.POST(request("/api/renew/issue", b, issueBody, { "idempotency-key": key() }));
    expect((await reused.json()).error.code).toBe("POP_CHALLENGE_USED");

    // the install confirmation needs the new key's signature on a login challenge for the new certificate
    const proofFor = async (serial: string) =>
      (await (await challengeRoute.POST(request("/api/renew/challenge", {}, { serial }))).json()).challenge as string;
    const install = async (challenge: string, signature: string) =>
      (
        await installedRoute.POST(
          request("/api/renew/installed", b, { orderId: draft.id, challenge, signature }, { "idempotency-key": key() }),
        )
      ).json();
    const p1 = await proofFor(first.certificate.serial);
    expect((await install(p1, signText(h.key, p1))).error.code).toBe("POP_SIGNATURE_INVALID"); // the old key
    const p2 = await proofFor(h.row.serial);
    expect((await install(p2, signText(h.key, p2))).error.code).toBe("POP_SIGNATURE_INVALID"); // the old certificate's own challenge
    expect((await (await statusRoute.GET(request("/api/renew/status", b))).json()).order.state).toBe("issued");
    // the challenge the 下证 answer brought, signed by the new key; once only
    const brought = first.install.challenge as string;
    expect((await install(brought, signText(newKey.key, brought))).state).toBe("installed");
    expect((await install(brought, signText(newKey.key, brought))).error.code).toBe("POP_CHALLENGE_USED");
    const p3 = await proofFor(first.certificate.serial);
    expect((await install(p3, signText(newKey.key, p3))).state).toBe("installed");
    const status = await (await statusRoute.GET(request("/api/renew/status", b))).json();
    expect([status.step, status.order.issued.serial]).toEqual(["done", first.certificate.serial]);
    void issueChallenge;
  });
});
