import { z } from "zod";
import { HandlerInfo } from "../renewal/handler";
import { ChallengeResponse, OrderState } from "./common";
import { ConsentGiven } from "../consent";
import { PAYMENT_WAIT_MAX_S } from "./payment-wait";

/**
 * The HTTP contract of /api/renew (the wizard): each route validates its request with these schemas and its
 * answer has the shape of the response schema; the browser's client (./client.ts) takes its types from them.
 * zod only, no server code: the browser bundle may import this file (types only, so zod stays out of it).
 */

const Base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .max(24_000);

/** A request naming the holder's order (确认提交, 取消申请, opening the payment, its status). */
export const OrderRef = z.object({ orderId: z.string().uuid() });

/**
 * The payment page's status poll: with `wait` (seconds, at most PAYMENT_WAIT_MAX_S) an order still awaiting payment
 * is answered when it moves or when the wait is over, whichever comes first (one request open instead of a poll
 * every 2 s).
 */
export const PaymentStatusQuery = OrderRef.extend({
  wait: z.coerce.number().int().min(0).max(PAYMENT_WAIT_MAX_S).optional(),
});

/** 确认提交 with the versions of the subscriber agreement and privacy notice the holder ticked. */
export const ConfirmRequest = OrderRef.extend({ consent: ConsentGiven.optional() });

export const ChallengeRequest = z.object({ serial: z.string().regex(/^[0-9a-fA-F:]{1,64}$/) });

/** The certificates on the inserted keys, before sign-in: which can be renewed now (the key list's marks). */
export const RenewabilityRequest = z.object({ serials: z.array(ChallengeRequest.shape.serial).min(1).max(64) });

export const RenewabilityResponse = z.object({
  items: z.array(
    z.object({
      serial: z.string(),
      status: z.enum(["open", "resume", "too_early", "expired", "revoked", "superseded", "unknown"]),
      opensAt: z.string().optional(),
    }),
  ),
});
export type RenewabilityResponse = z.infer<typeof RenewabilityResponse>;

export const LoginRequest = z.object({ challenge: z.string().max(1024), signature: z.string().min(1).max(2048) });

export const HandlerRequest = z.object({
  handler: HandlerInfo,
  captchaId: z.string().uuid({ error: "captchaInvalid" }),
  captchaAnswer: z.string({ error: "required" }).trim().min(1, "required").max(16, "captchaInvalid"),
});

/** 开票信息 (`details`, which the route checks with InvoiceDetails of lib/payments/invoice-details.ts) or 跳过. */
export const InvoiceRequest = z.object({
  orderId: z.string().uuid(),
  skip: z.literal(true).optional(),
  details: z.unknown().optional(),
});

export const IssueChallengeRequest = z.object({ orderId: z.string().uuid(), csr: Base64 });

export const IssueRequest = z.object({
  orderId: z.string().uuid(),
  csr: Base64,
  challenge: z.string().max(1024),
  signature: Base64,
});

export const InstalledRequest = z.object({
  orderId: z.string().uuid(),
  challenge: z.string().max(1024),
  signature: z.string().min(1).max(2048),
});

export const LoginResponse = z.object({ step: z.string(), csrfToken: z.string() });
export type LoginResponse = z.infer<typeof LoginResponse>;

/** The holder's order as the wizard sees it (ISO dates, masked handler); `step` is the wizard page to show. */
export const OrderResponse = z.object({
  id: z.string(),
  orderNo: z.string(),
  state: OrderState,
  step: z.string(),
  priceFen: z.number().int(),
  years: z.number().int(),
  newNotAfter: z.string(),
  paymentDeadline: z.string().nullable(),
  paidAt: z.string().nullable(),
  handler: z.object({
    name: z.string(),
    idType: z.string(),
    idNumberMasked: z.string(),
    mobileMasked: z.string(),
    email: z.string(),
  }),
  hasInvoice: z.boolean(),
  issued: z
    .object({
      serial: z.string(),
      notBefore: z.string(),
      notAfter: z.string(),
      encryptionSerial: z.string().optional(),
    })
    .nullable(),
});
export type OrderResponse = z.infer<typeof OrderResponse>;

/** The Alipay QR trade of the order. */
export const PaymentStartedResponse = z.object({
  qrCode: z.string(),
  amountFen: z.number().int(),
  orderNo: z.string(),
  deadline: z.string(),
});
export type PaymentStartedResponse = z.infer<typeof PaymentStartedResponse>;

export const PaymentStatusResponse = z.object({ state: z.string(), paid: z.boolean(), step: z.string() });
export type PaymentStatusResponse = z.infer<typeof PaymentStatusResponse>;

/** 下证: the PKCS#7 to install and the new certificate. */
export const IssueResponse = z.object({
  pkcs7: z.string(),
  certificate: z.object({ serial: z.string(), subjectDn: z.string(), notBefore: z.string(), notAfter: z.string() }),
  /** dual certificates (SM2): the encryption certificate (also in pkcs7) and its key as a GM/T 0016 envelope */
  encryption: z.object({ serial: z.string(), envelope: z.string() }).nullable().optional(),
  /**
   * a `login` challenge for the new certificate, which the new key signs for the install confirmation
   * (POST /api/renew/installed) once the certificate is on the token: one round trip less than asking
   * /api/renew/challenge. Absent when none could be made (the challenge limits); one that has expired or was used
   * meanwhile (a repeated 下证 answer) is refused there, and the wizard asks /api/renew/challenge for another.
   */
  install: ChallengeResponse.optional(),
});
export type IssueResponse = z.infer<typeof IssueResponse>;
