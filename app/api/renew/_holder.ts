import type { Session } from "@/lib/generated/prisma/client";
import { DomainError } from "@/lib/errors";

/** The certificate the holder proved possession of; every holder route acts on it only. */
export function holderCertificateId(session: Session | null): string {
  if (!session?.certificateId) throw new DomainError("UNAUTHENTICATED");
  return session.certificateId;
}

/** Orders whose invoice step the holder skipped in this session (the invoice can still be filled in later). */
export function invoiceSkipped(session: Session | null, orderId?: string): boolean {
  const skipped = (session?.data as { invoiceSkipped?: unknown } | undefined)?.invoiceSkipped;
  return Array.isArray(skipped) && (orderId === undefined ? skipped.length > 0 : skipped.includes(orderId));
}
