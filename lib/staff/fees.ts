import { z } from "zod";
import type { Tx } from "../db";
import type { CertType, PayerClass } from "../generated/prisma/client";
import { DomainError } from "../errors";
import { priceFor, type Price } from "../fees/price";
import { tryYuanToFen } from "../payments/alipay/amount";

export interface FeePreview {
  certificate: {
    serial: string;
    holderName: string;
    certType: CertType;
    payerClass: PayerClass;
    notAfter: Date;
  } | null;
  certType: CertType;
  payerClass: PayerClass;
  at: Date;
  price: Price;
}

/**
 * What a renewal would cost on a given date: for a known certificate (by serial) or for a type and payer class.
 * The same priceFor the order uses, so the preview cannot disagree with the price an order will snapshot.
 */
export async function previewFee(
  db: Tx,
  q: { serial?: string; certType?: CertType; payerClass?: PayerClass; at: Date },
): Promise<FeePreview> {
  let certificate: FeePreview["certificate"] = null;
  let key: { certType: CertType; payerClass: PayerClass };
  if (q.serial) {
    certificate = await db.certificate.findUnique({
      where: { serial: q.serial },
      select: { serial: true, holderName: true, certType: true, payerClass: true, notAfter: true },
    });
    if (!certificate) throw new DomainError("NOT_FOUND");
    key = certificate;
  } else if (q.certType && q.payerClass) {
    key = { certType: q.certType, payerClass: q.payerClass };
  } else {
    throw new DomainError("VALIDATION_FAILED", { fields: { serial: "required" } });
  }
  return {
    certificate,
    certType: key.certType,
    payerClass: key.payerClass,
    at: q.at,
    price: await priceFor(db, key, q.at),
  };
}

/** "2026-12-01T00:00" as typed in a datetime-local field, in Beijing time → the UTC instant. */
const BeijingDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/, "invalid")
  .transform((s) => new Date(`${s.length === 10 ? `${s}T00:00:00` : s.length === 16 ? `${s}:00` : s}+08:00`));

const blank = (v: unknown) => (v === "" || v === null ? undefined : v);

/** The admin's form: yuan as typed (exact to the fen, never rounded), dates in Beijing time. */
export const FeeTierForm = z.object({
  certType: z.enum(["personal", "organisation"]),
  payerClass: z.enum(["self", "unified"]),
  fenPerYear: z.preprocess(
    (v) => (typeof v === "string" ? (tryYuanToFen(v.trim()) ?? Number.NaN) : v),
    z.number().int().min(0),
  ),
  effectiveFrom: BeijingDateTime,
  effectiveTo: z.preprocess(blank, BeijingDateTime.optional()),
  note: z.preprocess(blank, z.string().trim().max(200).optional()),
  closeOpenEnded: z.boolean().default(false),
});

export const FeePreviewQuery = z.object({
  serial: z.preprocess(blank, z.string().trim().toLowerCase().max(80).optional()),
  certType: z.preprocess(blank, z.enum(["personal", "organisation"]).optional()),
  payerClass: z.preprocess(blank, z.enum(["self", "unified"]).optional()),
  at: BeijingDateTime,
});
