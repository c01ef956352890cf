import { CONSENT_VERSIONS } from "@/lib/consent";
import "@/tests/helpers/env";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { generateSm2KeyPair, sm2KeyObject, sm2Sign, type Sm2KeyPair } from "@/lib/crypto/sm2";
import { type Db } from "@/lib/db";
import { createCsr } from "@/lib/dev/testing/csr-build";
import { type Ca } from "@/lib/pki/ca";
import { CSRF_HEADER } from "@/lib/session";
import { insertHolderCertificate } from "@/tests/helpers/pki";
import * as challengeRoute from "@/app/api/renew/challenge/route";
import * as confirmRoute from "@/app/api/renew/confirm/route";
import * as handlerRoute from "@/app/api/renew/handler/route";
import * as issueChallengeRoute from "@/app/api/renew/issue-challenge/route";
import * as issueRoute from "@/app/api/renew/issue/route";
import * as loginRoute from "@/app/api/renew/login/route";
import { HANDLER, useRenewWorld } from "./fixture";

/** An SM2 CA and an SM2 holder over the holder API: SM2 signatures on the challenges, fuzzed SM2 CSRs at 下证. */
let db: Db;
let ca: Ca;
let origin: string;

const world = useRenewWorld({ algorithm: "SM2", routes: true });
beforeAll(() => ({ db, ca, origin } = world));

interface Browser {
  cookie?: string;
  csrf?: string;
}

function request(path: string, b: Browser, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`${origin}${path}`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: {
      origin,
      "content-type": "application/json",
      "x-real-ip": "10.1.2.4",
      ...(b.cookie ? { cookie: b.cookie } : {}),
      ...(b.csrf ? { [CSRF_HEADER]: b.csrf } : {}),
      ...headers,
    },
  });
}

const sign = (pair: Sm2KeyPair, text: string) =>
  sm2Sign(Buffer.from(text, "utf8"), pair.privateKey, { publicKey: pair.publicKey }).toString("base64");

describe("SM2 holder over the holder API (SM2 CA)", () => {
  it("signs in with an SM2 challenge signature; fuzzed SM2 CSRs at 下证 never give a 5xx; the good one issues", async () => {
    const pair = generateSm2KeyPair();
    // the route handlers read the system clock: the certificate expires 10 days from the real now
    const notAfter = new Date(Date.now() + 10 * 86_400_000);
    const h = await insertHolderCertificate(db, ca, {
      notBefore: new Date(notAfter.getTime() - 365 * 86_400_000),
      notAfter,
      payerClass: "unified",
      key: sm2KeyObject(pair),
    });
    expect(h.row.keyAlgorithm).toBe("SM2");

    const c = await (await challengeRoute.POST(request("/api/renew/challenge", {}, { serial: h.row.serial }))).json();
    const wrong = await loginRoute.POST(
      request("/api/renew/login", {}, { challenge: c.challenge, signature: sign(generateSm2KeyPair(), c.challenge) }),
    );
    expect(wrong.status).toBe(401);
    const c2 = await (await challengeRoute.POST(request("/api/renew/challenge", {}, { serial: h.row.serial }))).json();
    const res = await loginRoute.POST(
      request("/api/renew/login", {}, { challenge: c2.challenge, signature: sign(pair, c2.challenge) }),
    );
    expect(res.status).toBe(200);
    const b: Browser = {
      cookie: (res.headers.get("set-cookie") ?? "").split(";")[0],
      csrf: (await res.json()).csrfToken,
    };

    const draft = await (
      await handlerRoute.POST(
        request(
          "/api/renew/handler",
          b,
          { handler: HANDLER, captchaId: "00000000-0000-4000-8000-000000000000", captchaAnswer: "test-bypass" },
          { "idempotency-key": crypto.randomUUID() },
        ),
      )
    ).json();
    await confirmRoute.POST(
      request(
        "/api/renew/confirm",
        b,
        { orderId: draft.id, consent: CONSENT_VERSIONS },
        { "idempotency-key": crypto.randomUUID() },
      ),
    );

    const post = async (csrDer: Buffer) => {
      const csr = csrDer.toString("base64");
      const ic = await issueChallengeRoute.POST(request("/api/renew/issue-challenge", b, { orderId: draft.id, csr }));
      if (ic.status !== 200) return { status: ic.status, code: "issue-challenge" };
      const { challenge } = await ic.json();
      const r: Response = await issueRoute.POST(
        request(
          "/api/renew/issue",
          b,
          { orderId: draft.id, csr, challenge, signature: sign(pair, challenge) },
          { "idempotency-key": crypto.randomUUID() },
        ),
      );
      const code = r.status === 200 ? "" : ((await r.json()) as { error: { code: string } }).error.code;
      return { status: r.status, code };
    };

    const good = createCsr(generateSm2KeyPair(), { C: "CN", CN: "x" });
    // issue challenges are limited to 20 per certificate in 10 minutes (two went to the sign-in)
    const codes: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const bad = Buffer.from(good);
        bad[i] ^= x;
        const { status, code } = await post(bad);
        codes.push(code);
        expect(status).toBeLessThan(500);
        expect(status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 16 },
    );
    // every mutation reached the CSR parser and was refused with one of its codes
    expect(codes.every((c) => c.startsWith("CSR_"))).toBe(true);
    expect(await post(good)).toEqual({ status: 200, code: "" });
  });
});
