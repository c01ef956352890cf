import type { Db } from "../db";
import { linkToken, verifyLinkToken, type LinkKeys } from "../crypto/link-token";
import { DomainError } from "../errors";
import type { Clock } from "../clock";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";

const PURPOSE = "mail-unsubscribe";

/** A per-certificate link that cannot be forged for another certificate (lib/crypto/link-token). */
export const unsubscribeToken = (keys: LinkKeys, certificateId: string): string =>
  linkToken(keys, PURPOSE, certificateId);

/** The certificate id the token was made for, or null when the token is damaged or forged. */
const verifyUnsubscribeToken = (keys: LinkKeys, token: string): string | null => verifyLinkToken(keys, PURPOSE, token);

/** What the confirmation page shows before the holder confirms. */
export async function unsubscribeTarget(
  db: Db,
  keys: LinkKeys,
  token: string,
): Promise<{ serial: string; optedOut: boolean }> {
  const id = verifyUnsubscribeToken(keys, token);
  const cert = id
    ? await db.certificate.findUnique({ where: { id }, select: { serial: true, reminderOptOut: true } })
    : null;
  if (!cert) throw new DomainError("MAIL_UNSUBSCRIBE_INVALID");
  return { serial: cert.serial, optedOut: cert.reminderOptOut };
}

/** Stops expiry reminders for the token's certificate (idempotent, audited once). Order mails are not affected. */
export async function unsubscribe(
  db: Db,
  keys: LinkKeys,
  token: string,
  actor: Actor,
  clock: Clock,
): Promise<{ serial: string }> {
  const id = verifyUnsubscribeToken(keys, token);
  if (!id) throw new DomainError("MAIL_UNSUBSCRIBE_INVALID");
  return withTx(db, async (tx) => {
    const cert = await tx.certificate.findUnique({ where: { id }, select: { serial: true, reminderOptOut: true } });
    if (!cert) throw new DomainError("MAIL_UNSUBSCRIBE_INVALID");
    if (!cert.reminderOptOut) {
      await tx.certificate.update({ where: { id }, data: { reminderOptOut: true } });
      await appendAudit(
        tx,
        { ...actorFields(actor), action: "mail.reminders_opt_out", targetType: "certificate", targetId: id },
        clock,
      );
    }
    return { serial: cert.serial };
  });
}
