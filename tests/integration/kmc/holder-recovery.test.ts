import "@/tests/helpers/env";
import { expect, it } from "vitest";
import { withTx } from "@/lib/audit";
import { fixedClock } from "@/lib/dev/testing/clock";
import { issueEncryptionPair } from "@/lib/kmc/dual";
import { getKmc } from "@/lib/kmc/keys";
import { decideRecovery } from "@/lib/kmc/recovery";
import { openEnvelope } from "@/lib/token/enveloped-key";
import * as deliverRoute from "@/app/api/services/key-recovery/route";
import * as statusRoute from "@/app/api/services/key-recovery/status/route";
import * as requestRoute from "@/app/api/services/key-recovery/request/route";
import { kmcRouteHarness } from "./harness";

/**
 * The holder's own key recovery over HTTP (/recover): the holder's SM2 key proves itself for every call, sees the
 * escrowed keys of the same holder, asks; two different staff members approve (the first endorses, the second
 * approves); the holder then receives the envelope for the proving key. Checked on PGlite with real SM2.
 */

const { h: env, post, sm2Certificate, signedLogin } = kmcRouteHarness("10.1.2.5");
const clock = fixedClock(new Date());

/** a staff decision on a request by staff member `staff` */
const decide = (id: string, staff: string, approve = true) =>
  decideRecovery(env.db, { id, approve, actor: { type: "staff", id: staff }, clock });

type Holder = Awaited<ReturnType<typeof sm2Certificate>>;

const proof = (h: Holder) => signedLogin(h.row.serial, h.pair.privateKey, h.pair.publicKey);

async function call<T>(route: { POST: (r: Request) => Promise<Response> }, path: string, h: Holder, body = {}) {
  const res = await route.POST(post(path, { ...(await proof(h)), ...body }));
  return { status: res.status, body: (await res.json()) as T & { error?: { code: string; message: string } } };
}

type Status = {
  keys: { serial: string; current: boolean; recovery: { id: string; state: string; approvals: number } | null }[];
};

it("a holder asks, two different staff members approve, and the holder's proven key receives the envelope", async () => {
  const lost = await sm2Certificate();
  const enc = await withTx(env.db, (tx) =>
    issueEncryptionPair(tx, { signing: lost.row, kmc: getKmc(), ca: env.ca, clock, orderId: "holder-recovery" }),
  );
  const replacement = await sm2Certificate();

  const before = await call<Status>(statusRoute, "/api/services/key-recovery/status", replacement);
  expect(before.status).toBe(200);
  const listed = before.body.keys.find((k) => k.serial === enc.serial)!;
  expect(listed).toMatchObject({ current: false, recovery: null });

  const asked = await call<{ id: string; state: string }>(
    requestRoute,
    "/api/services/key-recovery/request",
    replacement,
    {
      serial: enc.serial,
      reason: "token_lost",
    },
  );
  expect(asked.status).toBe(200);
  expect(asked.body.state).toBe("requested");
  // asking again answers the open request instead of a second one
  const again = await call<{ id: string }>(requestRoute, "/api/services/key-recovery/request", replacement, {
    serial: enc.serial,
    reason: "old_data",
  });
  expect(again.body.id).toBe(asked.body.id);
  const row = await env.db.kmcRecovery.findUniqueOrThrow({ where: { id: asked.body.id } });
  expect(row).toMatchObject({
    requestedById: null,
    holderCertificateId: replacement.row.id,
    reason: "holder:token_lost",
  });

  // not approved yet: nothing is delivered
  const early = await call(deliverRoute, "/api/services/key-recovery", replacement, { recoveryId: asked.body.id });
  expect(early.body.error?.code).toBe("KMC_RECOVERY_STATE");

  const first = await decide(asked.body.id, "a", true);
  expect(first.state).toBe("endorsed");
  await expect(
    decideRecovery(env.db, { id: asked.body.id, approve: true, actor: { type: "staff", id: "a" }, clock }),
  ).rejects.toMatchObject({ code: "KMC_RECOVERY_SAME_STAFF" });
  const waiting = await call<Status>(statusRoute, "/api/services/key-recovery/status", replacement);
  expect(waiting.body.keys.find((k) => k.serial === enc.serial)!.recovery).toMatchObject({
    state: "endorsed",
    approvals: 1,
  });
  const still = await call(deliverRoute, "/api/services/key-recovery", replacement, { recoveryId: asked.body.id });
  expect(still.body.error?.code).toBe("KMC_RECOVERY_STATE");

  const second = await decide(asked.body.id, "b", true);
  expect(second.state).toBe("approved");

  const got = await call<{ envelope: string; serial: string }>(
    deliverRoute,
    "/api/services/key-recovery",
    replacement,
    {
      recoveryId: asked.body.id,
    },
  );
  expect(got.status).toBe(200);
  expect(got.body.serial).toBe(enc.serial);
  const { d } = openEnvelope(Buffer.from(got.body.envelope, "base64"), replacement.pair.privateKey);
  expect(d).toHaveLength(32);

  const audit = await env.db.auditEvent.findMany({ where: { targetId: asked.body.id }, orderBy: { seq: "asc" } });
  expect(audit.map((e) => [e.action, e.actorType])).toEqual([
    ["kmc.recovery_requested", "holder"],
    ["kmc.recovery_endorsed", "staff"],
    ["kmc.recovery_approved", "staff"],
    ["kmc.recovery_delivered", "holder"],
  ]);
});

it("a rejection by the first officer ends the holder's request; the holder may ask again", async () => {
  const h = await sm2Certificate();
  const enc = await withTx(env.db, (tx) =>
    issueEncryptionPair(tx, { signing: h.row, kmc: getKmc(), ca: env.ca, clock, orderId: "holder-recovery-2" }),
  );
  const asked = await call<{ id: string }>(requestRoute, "/api/services/key-recovery/request", h, {
    serial: enc.serial,
    reason: "token_broken",
  });
  const rejected = await decide(asked.body.id, "a", false);
  expect(rejected.state).toBe("rejected");
  const status = await call<Status>(statusRoute, "/api/services/key-recovery/status", h);
  expect(status.body.keys.find((k) => k.serial === enc.serial)).toMatchObject({
    current: true,
    recovery: { state: "rejected" },
  });
  const anew = await call<{ id: string; state: string }>(requestRoute, "/api/services/key-recovery/request", h, {
    serial: enc.serial,
    reason: "token_broken",
  });
  expect(anew.body.id).not.toBe(asked.body.id);
  expect(anew.body.state).toBe("requested");
});

it("another holder's encryption certificate looks like none, and a holder without escrowed keys is told so", async () => {
  const owner = await sm2Certificate();
  const enc = await withTx(env.db, (tx) =>
    issueEncryptionPair(tx, { signing: owner.row, kmc: getKmc(), ca: env.ca, clock, orderId: "holder-recovery-3" }),
  );
  const stranger = await sm2Certificate();
  await env.db.certificate.update({ where: { id: stranger.row.id }, data: { holderIdHash: "someone-else" } });
  const refused = await call(requestRoute, "/api/services/key-recovery/request", stranger, {
    serial: enc.serial,
    reason: "old_data",
  });
  expect(refused.status).toBe(404);
  expect(refused.body.error?.code).toBe("KMC_KEY_NOT_FOUND");
  const none = await call(statusRoute, "/api/services/key-recovery/status", stranger);
  expect(none.status).toBe(404);
  expect(none.body.error?.code).toBe("KMC_NO_ESCROWED_KEY");
  expect(none.body.error?.message).toContain("国密");
  // a bad body is refused by the schema before anything else
  const bad = await requestRoute.POST(post("/api/services/key-recovery/request", { serial: "zz", reason: "why" }));
  expect(bad.status).toBe(422);
});
