import type { Db } from "../db";
import type { Clock } from "../clock";
import type { Certificate, Organisation, Session } from "../generated/prisma/client";
import type { Actor } from "../audit";
import { DomainError } from "../errors";
import type { NewSession } from "../session";
import { openProvenSession, verifyLoginProof } from "../renewal/pop";

/**
 * 大客户专区 sign-in: the same proof of possession as the holder's (a single-use `login` challenge signed by the key
 * on the token through the certificate assistant), but only an organisation certificate registered for an
 * organisation's console opens it, and the session is of its own kind (`org`), stored like every session.
 */

export interface OrgLogin extends NewSession {
  organisation: Organisation;
}

export async function orgLogin(
  db: Db,
  input: { challengeText: string; signatureB64: string; origin: string; actor: Actor; clock: Clock },
): Promise<OrgLogin> {
  const { clock, actor } = input;
  const certificate = await verifyLoginProof(db, input, "org-login");
  const organisation = await consoleOrganisationOf(db, certificate, clock);
  const session = await openProvenSession(db, {
    kind: "org",
    certificateId: certificate.id,
    actor,
    clock,
    audit: {
      action: "org.login",
      targetType: "organisation",
      targetId: organisation.id,
      data: { serial: certificate.serial },
    },
  });
  return { ...session, organisation };
}

async function consoleOrganisationOf(db: Db, certificate: Certificate, clock: Clock): Promise<Organisation> {
  if (certificate.certType !== "organisation" || !certificate.consoleOrganisationId)
    throw new DomainError("ORG_CERT_NOT_REGISTERED");
  if (certificate.status !== "active") throw new DomainError("CERT_REVOKED");
  if (certificate.notAfter <= clock.now()) throw new DomainError("ORG_CERT_EXPIRED");
  return db.organisation.findUniqueOrThrow({ where: { id: certificate.consoleOrganisationId } });
}

/** The organisation of an `org` session, checked again on every request (a certificate unregistered since loses it). */
export async function sessionOrganisation(db: Db, session: Session | null, clock: Clock): Promise<Organisation> {
  if (session?.kind !== "org" || !session.certificateId) throw new DomainError("UNAUTHENTICATED");
  const certificate = await db.certificate.findUnique({ where: { id: session.certificateId } });
  if (!certificate) throw new DomainError("UNAUTHENTICATED");
  return consoleOrganisationOf(db, certificate, clock);
}
