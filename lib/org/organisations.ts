import type { Db, Tx } from "../db";
import type { Clock } from "../clock";
import type { Organisation } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import { isValidCreditCode, normaliseCreditCode } from "../payments/credit-code";

export interface OrganisationInput {
  /** orgstaff (#24): an edit from the staff page names the organisation; its credit code may then change too */
  id?: string;
  name: string;
  creditCode: string;
  contactEmail: string;
  contractNo?: string | null;
  contractUntil?: Date | null;
}

/** Registers (or updates, by 统一社会信用代码) an organisation; audited. */
export async function upsertOrganisation(
  db: Db,
  input: OrganisationInput,
  actor: Actor,
  clock: Clock,
): Promise<Organisation> {
  const creditCode = normaliseCreditCode(input.creditCode);
  if (!isValidCreditCode(creditCode)) throw new DomainError("VALIDATION_FAILED", { fields: { creditCode: "invalid" } });
  return withTx(db, async (tx) => {
    const data = {
      name: input.name.trim(),
      contactEmail: input.contactEmail.trim().toLowerCase(),
      contractNo: input.contractNo ?? null,
      contractUntil: input.contractUntil ?? null,
    };
    const org = input.id
      ? await updateById(tx, input.id, { creditCode, ...data })
      : await tx.organisation.upsert({ where: { creditCode }, create: { creditCode, ...data }, update: data });
    await appendAudit(
      tx,
      {
        ...actorFields(actor),
        action: "org.saved",
        targetType: "organisation",
        targetId: org.id,
        data: { creditCode, name: data.name, contractNo: data.contractNo },
      },
      clock,
    );
    return org;
  });
}

async function updateById(tx: Tx, id: string, data: Omit<OrganisationInput, "id">): Promise<Organisation> {
  if (!(await tx.organisation.findUnique({ where: { id } }))) throw new DomainError("ORG_NOT_FOUND");
  const holder = await tx.organisation.findUnique({ where: { creditCode: data.creditCode } });
  if (holder && holder.id !== id) throw new DomainError("VALIDATION_FAILED", { fields: { creditCode: "taken" } });
  return tx.organisation.update({ where: { id }, data });
}

/**
 * Staff set (or clear, organisationId null) the organisation that pays for a holder's certificate; `console` links
 * an organisation certificate that signs its organisation into 大客户专区 instead. Audited with before and after.
 */
export async function linkCertificate(
  db: Db,
  input: { serial: string; organisationId: string | null; console?: boolean; actor: Actor; clock: Clock },
): Promise<void> {
  await withTx(db, async (tx) => {
    const cert = await tx.certificate.findUnique({
      where: { serial: input.serial.trim().toLowerCase().replace(/:/g, "") },
    });
    if (!cert) throw new DomainError("CERT_UNKNOWN");
    if (input.organisationId && !(await tx.organisation.findUnique({ where: { id: input.organisationId } })))
      throw new DomainError("ORG_NOT_FOUND");
    if (input.console && cert.certType !== "organisation") throw new DomainError("ORG_CERT_NOT_REGISTERED");
    const field = input.console ? "consoleOrganisationId" : "organisationId";
    const before = cert[field];
    await tx.certificate.update({ where: { id: cert.id }, data: { [field]: input.organisationId } });
    await appendAudit(
      tx,
      {
        ...actorFields(input.actor),
        action: input.console ? "org.console_certificate_set" : "org.holder_link_set",
        targetType: "certificate",
        targetId: cert.id,
        data: { serial: cert.serial, before, after: input.organisationId },
      },
      input.clock,
    );
  });
}

/** Every organisation, for the staff's choice list. */
export function listOrganisations(db: Db) {
  return db.organisation.findMany({ orderBy: { name: "asc" } });
}
