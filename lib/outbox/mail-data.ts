import { z } from "zod";
import { maskEmail, maskIdNumber, maskMobile, maskName } from "../privacy/mask";

/**
 * Each template declares its fields by kind. The kind decides three things: how the value is validated when the
 * mail is queued, whether it is masked before it is stored (personal data never reaches the outbox in clear), and
 * how it is formatted in the mail.
 */
export type Kind =
  | "text"
  | "code"
  | "token"
  | "name"
  | "mobile"
  | "email"
  | "idNumber"
  | "fen"
  | "years"
  | "days"
  | "date"
  | "invoiceType"
  /** verbatim lines, shown as a block after the fields (the audit mail's signed checkpoints, 大客户专区's holders) */
  | "lines";
export type Field = Kind | { optional: Kind };

const MASKS: Partial<Record<Kind, (v: string) => string>> = {
  name: maskName,
  mobile: maskMobile,
  email: maskEmail,
  idNumber: maskIdNumber,
};

export const MAIL_SPECS = {
  order_submitted: {
    fields: {
      orderNo: "text",
      holderName: "name",
      handlerName: "name",
      handlerMobile: { optional: "mobile" },
      amountFen: "fen",
      years: "years",
      newNotAfter: "date",
      paymentDeadline: { optional: "date" },
    },
    link: "order",
  },
  payment_received: {
    fields: {
      orderNo: "text",
      amountFen: "fen",
      paidAt: "date",
      tradeNo: { optional: "text" },
      invoiceToken: { optional: "token" },
    },
    link: "order",
  },
  certificate_issued: {
    fields: { orderNo: "text", holderName: "name", serial: "text", notBefore: "date", notAfter: "date" },
    link: "order",
  },
  refund_made: {
    fields: { orderNo: "text", amountFen: "fen", refundedAt: "date", reason: { optional: "text" } },
    link: "order",
  },
  revocation_confirmed: {
    fields: {
      holderName: "name",
      serial: "text",
      revokedAt: "date",
      reason: { optional: "text" },
      orderNo: { optional: "text" },
    },
    link: "status",
  },
  unlock_code: {
    fields: { holderName: "name", serial: { optional: "text" }, code: "code", expiresAt: "date" },
    link: "unlock",
  },
  invoice_received: {
    fields: {
      orderNo: "text",
      invoiceType: "invoiceType",
      title: "text",
      taxpayerId: { optional: "idNumber" },
      email: "email",
      // harden2 (#21 item 5): an address given in the details that its owner has not confirmed yet
      pendingEmail: { optional: "email" },
    },
    link: "order",
  },
  // harden2 (#21 item 5): the confirmation link to an invoice address that is not the handler's
  invoice_email_confirm: {
    fields: { orderNo: "text", confirmToken: "token" },
    link: "invoiceConfirm",
  },
  // harden2 (#21 item 3): the daily audit mail to AUDIT_MAIL_TO, a copy of the signed checkpoints off the machine
  audit_daily: {
    fields: { day: "text", count: "text", checkpoints: "lines" },
    link: "audit",
  },
  expiry_reminder: {
    fields: {
      holderName: "name",
      serial: "text",
      notAfter: "date",
      opensAt: "date",
      daysLeft: "days",
      unsubscribeToken: "token",
    },
    link: "renew",
  },
  // bigclient (#24): the organisation's contact, once per holder entering the renewal window
  org_expiry_report: {
    fields: { organisationName: "text", holderCount: "text", holders: "lines" },
    link: "org",
  },
} as const satisfies Record<
  string,
  {
    fields: Record<string, Field>;
    link: "order" | "status" | "unlock" | "renew" | "invoiceConfirm" | "audit" | "org";
  }
>;

export type MailTemplate = keyof typeof MAIL_SPECS;
export const MAIL_TEMPLATES = Object.keys(MAIL_SPECS) as MailTemplate[];

type KindInput = {
  fen: number;
  years: number;
  days: number;
  date: Date | string;
  invoiceType: "personal" | "organisation";
  lines: string[];
};
type InputOfKind<K extends Kind> = K extends keyof KindInput ? KindInput[K] : string;
type Fields<T extends MailTemplate> = (typeof MAIL_SPECS)[T]["fields"];
type RequiredKeys<F> = { [K in keyof F]: F[K] extends Kind ? K : never }[keyof F];
type OptionalKeys<F> = { [K in keyof F]: F[K] extends { optional: Kind } ? K : never }[keyof F];

/** What a caller of enqueueMail passes for template T (raw personal data is fine: it is masked before storing). */
export type MailData<T extends MailTemplate> = {
  [K in RequiredKeys<Fields<T>>]: Fields<T>[K] extends Kind ? InputOfKind<Fields<T>[K]> : never;
} & {
  [K in OptionalKeys<Fields<T>>]?: Fields<T>[K] extends { optional: infer O extends Kind }
    ? InputOfKind<O> | null
    : never;
};

const text = z.string().trim().min(1).max(500);
function kindSchema(kind: Kind, mask: boolean): z.ZodType {
  switch (kind) {
    case "fen":
    case "years":
    case "days":
      return z.number().int().min(0);
    case "date":
      return z.coerce.date().transform((d) => d.toISOString());
    case "invoiceType":
      return z.enum(["personal", "organisation"]);
    case "lines":
      return z.array(z.string().max(2000)).max(500);
    case "code":
      return z.string().regex(/^[0-9A-Za-z]{4,12}$/);
    case "token":
      return z.string().regex(/^[\w.-]{10,300}$/);
    case "email":
      return mask ? z.email().transform(maskEmail) : text;
    default: {
      const m = MASKS[kind];
      return mask && m ? text.transform(m) : text;
    }
  }
}

function schemaFor(template: MailTemplate, mask: boolean) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, f] of Object.entries(MAIL_SPECS[template].fields) as [string, Field][]) {
    shape[name] = typeof f === "string" ? kindSchema(f, mask) : kindSchema(f.optional, mask).nullish();
  }
  return z.strictObject(shape);
}

const QUEUE = Object.fromEntries(MAIL_TEMPLATES.map((t) => [t, schemaFor(t, true)])) as Record<
  MailTemplate,
  ReturnType<typeof schemaFor>
>;
const STORED = Object.fromEntries(MAIL_TEMPLATES.map((t) => [t, schemaFor(t, false)])) as Record<
  MailTemplate,
  ReturnType<typeof schemaFor>
>;

/** Validates a caller's data and masks personal fields: the result is what the outbox stores. Throws ZodError on bad data. */
export function prepareMailData(template: MailTemplate, data: Record<string, unknown>): Record<string, unknown> {
  const out = QUEUE[template].parse(data);
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined && v !== null));
}

export function isMailTemplate(name: string): name is MailTemplate {
  return Object.hasOwn(MAIL_SPECS, name);
}

/** A stored outbox row's data checked against its template (already masked: nothing is masked again). */
export function parseStoredMailData(template: MailTemplate, stored: unknown): Record<string, unknown> {
  return STORED[template].parse(stored);
}
