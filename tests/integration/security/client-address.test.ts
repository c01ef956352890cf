import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientIp, PEER_HEADER } from "@/lib/http/request";
import { CHALLENGE_LIMIT } from "@/lib/renewal/pop";
import * as challengeRoute from "@/app/api/renew/challenge/route";
import * as loginRoute from "@/app/api/renew/login/route";
import * as revokeChallengeRoute from "@/app/api/services/revoke/challenge/route";
import { holder, signText } from "@/tests/integration/renew/fixture";
import { call, codeOf, securityWorld, type SecurityWorld } from "./harness";

/**
 * Issue 21 item 1 (the client address is the socket's, never the client's own X-Forwarded-For) and item 2 (limits
 * keyed by a public serial cannot lock its holder out).
 */

let w: SecurityWorld;
beforeAll(async () => {
  w = await securityWorld();
});
afterAll(async () => {
  await w?.close();
});

const req = (headers: Record<string, string>) => new Request("http://localhost:3000/x", { headers });

describe("the client address (item 1)", () => {
  it("without the front's peer header there is no address, whatever X-Forwarded-For says", () => {
    expect(clientIp(req({ "x-forwarded-for": "1.2.3.4" }), 0)).toBeNull();
    expect(clientIp(req({ "x-forwarded-for": "1.2.3.4" }), 1)).toBeNull();
  });

  it("without TRUST_PROXY the socket's address is the client's; a forwarded header is ignored", () => {
    expect(clientIp(req({ [PEER_HEADER]: "192.0.2.1", "x-forwarded-for": "1.2.3.4" }), 0)).toBe("192.0.2.1");
    expect(clientIp(req({ [PEER_HEADER]: "::ffff:192.0.2.1" }), 0)).toBe("192.0.2.1");
  });

  it("with TRUST_PROXY=N the address is exactly N hops from the right of X-Forwarded-For and the peer", () => {
    // the client prepends its own choice; the proxy (the peer) appended the real address
    const h = { [PEER_HEADER]: "10.0.0.2", "x-forwarded-for": "6.6.6.6, 198.51.100.7" };
    expect(clientIp(req(h), 1)).toBe("198.51.100.7");
    expect(clientIp(req({ ...h, "x-forwarded-for": "6.6.6.6, 198.51.100.7, 10.0.0.1" }), 2)).toBe("198.51.100.7");
    // past the proxies (a short chain): the farthest address seen, never a missing one
    expect(clientIp(req({ [PEER_HEADER]: "203.0.113.9" }), 1)).toBe("203.0.113.9");
  });

  it("rotating X-Forwarded-For does not escape a per-address limit", async () => {
    const h = await holder(w.db, w.ca, { from: new Date() });
    const codes: string[] = [];
    for (let i = 0; i <= CHALLENGE_LIMIT.max; i++)
      codes.push(
        await codeOf(
          await challengeRoute.POST(
            call(
              w.origin,
              "/api/renew/challenge",
              { ip: "203.0.113.50", headers: { "x-forwarded-for": `10.0.${i}.1` } },
              {
                serial: h.row.serial,
              },
            ),
          ),
        ),
      );
    expect(codes.at(-1)).toBe("RATE_LIMITED");
    const audit = await w.db.auditEvent.findMany({ where: { ip: { startsWith: "10.0." } } });
    expect(audit).toEqual([]);
  });
});

describe("limits on a public serial (item 2)", () => {
  it("anyone hammering a holder's serial does not block that holder's sign-in or revocation", async () => {
    const h = await holder(w.db, w.ca, { from: new Date() });
    const attacker = { ip: "203.0.113.66" };
    const codes: string[] = [];
    for (let i = 0; i <= CHALLENGE_LIMIT.max; i++)
      codes.push(
        await codeOf(
          await challengeRoute.POST(call(w.origin, "/api/renew/challenge", attacker, { serial: h.row.serial })),
        ),
      );
    expect(codes.at(-1)).toBe("RATE_LIMITED");

    const me = { ip: "192.0.2.77" };
    const c = await challengeRoute.POST(call(w.origin, "/api/renew/challenge", me, { serial: h.row.serial }));
    expect(c.status).toBe(200);
    const { challenge } = (await c.json()) as { challenge: string };
    const login = await loginRoute.POST(
      call(w.origin, "/api/renew/login", me, { challenge, signature: signText(h.key, challenge) }),
    );
    expect(login.status).toBe(200);
    const revoke = await revokeChallengeRoute.POST(
      call(w.origin, "/api/services/revoke/challenge", me, { certificate: h.der.toString("base64") }),
    );
    expect(revoke.status).toBe(200);
  });
});
