import { InstalledRequest } from "@/lib/api/renew";
import { route } from "@/lib/http/route";
import { getUpstreamIssuer } from "@/lib/pki/issuers";
import { orderView } from "@/lib/renewal/flow";
import { confirmInstalledWithProof } from "@/lib/renewal/issue-order";
import { holderCertificateId } from "../_holder";

/**
 * The assistant wrote and read back the new certificate, and the new key signed a login challenge for it: the
 * renewal is complete (下证成功).
 */
export const POST = route(
  { session: "holder", requireSession: true, body: InstalledRequest, idempotency: "renew.installed" },
  async ({ db, ca, session, body, actor, clock, config }) => {
    const order = await confirmInstalledWithProof(db, {
      orderId: body.orderId,
      proof: { challengeText: body.challenge, signatureB64: body.signature, origin: config.publicOrigin },
      actor,
      clock,
      certificateId: holderCertificateId(session),
      // RA mode: the old certificate's revocation goes to the operator's CA as an intent
      revokeSupersededWith: config.REVOKE_SUPERSEDED_ON_RENEWAL
        ? getUpstreamIssuer()
          ? "upstream"
          : await ca()
        : undefined,
    });
    return orderView(db, config, order);
  },
);
