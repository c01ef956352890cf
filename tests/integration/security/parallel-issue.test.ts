import "@/tests/helpers/env";
import { beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "@/lib/config";
import type { Db } from "@/lib/db";
import type { Ca } from "@/lib/pki/ca";
import { parseCsr } from "@/lib/pki/csr";
import { sha256Hex } from "@/lib/pki/x509";
import { isDomainError } from "@/lib/errors";
import { issueForOrder } from "@/lib/renewal/issue-order";
import {
  holder,
  holderActor,
  newClock,
  newKeyAndCsr,
  useRenewWorld,
  signedChallenge,
  submitOrder,
} from "@/tests/integration/renew/fixture";

/**
 * Issue 21 item 11: parallel 下证 with different CSRs on one order. Every answer's certificate is for its own CSR's
 * key, or the request gets a clean CONFLICT (409); never another request's certificate, never a 500.
 */

let db: Db;
let ca: Ca;
const world = useRenewWorld();
beforeAll(() => ({ db, ca } = world));

async function submittedOrder() {
  const h = await holder(db, ca, { payerClass: "unified", certType: "organisation" });
  const order = await submitOrder(db, h.row.id);
  return { h, order };
}

describe("parallel 下证 on one order (item 11)", () => {
  it.each([1, 2, 3])(
    "18 requests with different CSRs: each gets its own key's certificate or CONFLICT (round %i)",
    async () => {
      const { h, order } = await submittedOrder();
      const clock = newClock();
      const requests = await Promise.all(
        Array.from({ length: 18 }, async () => {
          const { csr } = newKeyAndCsr();
          const proof = await signedChallenge(db, h, clock, "issue", sha256Hex(csr));
          return { csr, proof };
        }),
      );
      const results = await Promise.allSettled(
        requests.map(({ csr, proof }) =>
          issueForOrder(db, {
            orderId: order.id,
            csrDer: csr,
            ...proof,
            origin: getConfig().publicOrigin,
            actor: holderActor,
            clock,
            certificateId: h.row.id,
            ca,
          }),
        ),
      );
      const wrong: string[] = [];
      let issued = 0;
      results.forEach((r, i) => {
        if (r.status === "fulfilled") {
          issued++;
          if (r.value.certificate.spkiSha256 !== parseCsr(requests[i].csr).spkiSha256) wrong.push(`#${i}: another key`);
        } else if (!isDomainError(r.reason) || r.reason.code !== "CONFLICT") {
          wrong.push(`#${i}: ${(r.reason as Error).message}`);
        }
      });
      expect(wrong).toEqual([]);
      expect(issued).toBeGreaterThan(0);
      // whatever was answered, the order ends with one certificate, for the key of the CSR it stored last
      const final = await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
      expect(final.state).toBe("issued");
      const cert = await db.certificate.findUniqueOrThrow({ where: { id: final.issuedCertificateId! } });
      expect(cert.spkiSha256).toBe(final.newSpkiSha256);
    },
  );
});
