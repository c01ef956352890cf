import { createHash } from "node:crypto";
import type { ChallengeResponse } from "@/lib/api/common";
import { IssueChallengeRequest } from "@/lib/api/renew";
import { DomainError } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { requireOpenOrder } from "@/lib/renewal/flow";
import { readyToIssue } from "@/lib/renewal/issue-order";
import { issueChallenge } from "@/lib/renewal/pop";
import { holderCertificateId } from "../_holder";

/** The challenge the old key signs to confirm 下证 of exactly this CSR. */
export const POST = route(
  { session: "holder", requireSession: true, body: IssueChallengeRequest },
  async ({ db, session, body, config, clock, actor }) => {
    const order = await requireOpenOrder(db, holderCertificateId(session), body.orderId);
    if (!readyToIssue(order)) throw new DomainError("RENEWAL_NOT_READY_TO_ISSUE", { state: order.state });
    const csrSha256 = createHash("sha256").update(Buffer.from(body.csr, "base64")).digest("hex");
    const c = await issueChallenge(db, {
      serial: order.certSerial,
      origin: config.publicOrigin,
      purpose: "issue",
      csrSha256,
      clock,
      ip: actor.ip,
    });
    return { challenge: c.text, expiresAt: c.expiresAt.toISOString() } satisfies ChallengeResponse;
  },
);
