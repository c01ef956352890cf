import { IssueRequest, type IssueResponse } from "@/lib/api/renew";
import { route } from "@/lib/http/route";
import { issueForOrder } from "@/lib/renewal/issue-order";
import { installChallenge } from "@/lib/renewal/pop";
import { processUpstreamDeps } from "@/lib/renewal/upstream-issue";
import { holderCertificateId } from "../_holder";

/**
 * 下证: issues (or re-delivers) the new certificate for the key's CSR; returns the PKCS#7 to install (and for an SM2
 * key the encryption certificate's key, enveloped to the new key: only the token can open it), and the challenge
 * the new key signs to confirm the installation.
 */
export const POST = route(
  { session: "holder", requireSession: true, body: IssueRequest, idempotency: "renew.issue" },
  async ({ db, ca, alipay, session, body, config, actor, clock }) => {
    // RA mode (ISSUER=cmp | cfssl): the operator's CA certifies; builtin: the portal's own CA
    const upstream = processUpstreamDeps({ alipay, links: config });
    const issued = await issueForOrder(db, {
      orderId: body.orderId,
      csrDer: Buffer.from(body.csr, "base64"),
      challengeText: body.challenge,
      signatureB64: body.signature,
      origin: config.publicOrigin,
      actor,
      clock,
      certificateId: holderCertificateId(session),
      ...(upstream ? { upstream } : { ca: await ca() }),
    });
    const c = issued.certificate;
    const install = await installChallenge(db, { serial: c.serial, origin: config.publicOrigin, clock, ip: actor.ip });
    return {
      pkcs7: issued.pkcs7,
      certificate: {
        serial: c.serial,
        subjectDn: c.subjectDn,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
      },
      encryption: issued.encryption
        ? { serial: issued.encryption.certificate.serial, envelope: issued.encryption.envelope.toString("base64") }
        : null,
      ...(install ? { install: { challenge: install.text, expiresAt: install.expiresAt.toISOString() } } : {}),
    } satisfies IssueResponse;
  },
);
