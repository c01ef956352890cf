import type { z } from "zod";
import type { InvoiceDetails } from "../payments/invoice-details";
import type * as common from "./common";
import type * as invoice from "./invoice";
import type * as kmc from "./kmc";
import type * as org from "./org";
import type * as renew from "./renew";
import type * as services from "./services";
import type { RenewalSummary } from "../renewal/flow";

/**
 * Every route the browser calls, by method and path: what it takes (the request schema's input) and what it
 * answers (the response schema). Types only, so the browser bundle gets the shapes without zod.
 */

type Post<Req extends z.ZodType, Res extends z.ZodType> = { body: z.input<Req>; response: z.output<Res> };
/** The invoice routes take `details` as unknown and check it with InvoiceDetails themselves. */
type WithDetails<Req extends z.ZodType> = Omit<z.input<Req>, "details"> & { details?: z.input<typeof InvoiceDetails> };

export interface GetEndpoints {
  "/api/renew/captcha": { response: common.CaptchaResponse };
  "/api/renew/captcha/text": { response: common.TextCaptchaResponse };
  "/api/renew/payment": { query: z.input<typeof renew.PaymentStatusQuery>; response: renew.PaymentStatusResponse };
  /** where the renewal stands: the wizard's pages in the browser (app/renew/_components/Wizard.tsx) */
  "/api/renew/summary": { response: RenewalSummary & { csrfToken: string } };
  "/api/services/captcha": { response: common.CaptchaResponse };
  "/api/org/batches/status": { query: z.input<typeof org.BatchRef>; response: org.BatchStatusResponse };
}

export interface PostEndpoints {
  "/api/renew/challenge": Post<typeof renew.ChallengeRequest, typeof common.ChallengeResponse>;
  "/api/renew/login": Post<typeof renew.LoginRequest, typeof renew.LoginResponse>;
  "/api/renew/renewability": Post<typeof renew.RenewabilityRequest, typeof renew.RenewabilityResponse>;
  "/api/renew/handler": Post<typeof renew.HandlerRequest, typeof renew.OrderResponse>;
  "/api/renew/confirm": Post<typeof renew.ConfirmRequest, typeof renew.OrderResponse>;
  "/api/renew/cancel": Post<typeof renew.OrderRef, typeof renew.OrderResponse>;
  "/api/renew/payment": Post<typeof renew.OrderRef, typeof renew.PaymentStartedResponse>;
  "/api/renew/invoice": {
    body: WithDetails<typeof renew.InvoiceRequest>;
    response: renew.OrderResponse;
  };
  "/api/renew/issue-challenge": Post<typeof renew.IssueChallengeRequest, typeof common.ChallengeResponse>;
  "/api/renew/issue": Post<typeof renew.IssueRequest, typeof renew.IssueResponse>;
  "/api/renew/installed": Post<typeof renew.InstalledRequest, typeof renew.OrderResponse>;
  [invoiceLink: `/api/invoice/${string}`]: {
    body: WithDetails<typeof invoice.InvoiceLinkRequest>;
    response: invoice.InvoiceLinkResponse;
  };
  "/api/services/status": Post<typeof services.StatusRequest, typeof services.CertificateStatusResponse>;
  "/api/services/revoke/challenge": Post<typeof services.RevokeChallengeRequest, typeof common.ChallengeResponse>;
  "/api/services/revoke": Post<typeof services.RevokeRequest, typeof services.RevokedResponse>;
  "/api/services/unlock/start": Post<typeof services.UnlockStartRequest, typeof services.UnlockStartedResponse>;
  "/api/services/unlock/release": Post<typeof services.RequestAndCode, typeof services.SoPinsResponse>;
  "/api/services/unlock/confirm": Post<typeof services.UnlockConfirmRequest, typeof services.UnlockConfirmedResponse>;
  "/api/services/unlock/report": Post<typeof services.UnlockReportRequest, typeof services.UnlockReportedResponse>;
  "/api/services/key-recovery": Post<typeof kmc.KeyRecoveryRequest, typeof kmc.KeyRecoveryResponse>;
  "/api/services/key-recovery/status": Post<typeof kmc.KeyRecoveryStatusRequest, typeof kmc.KeyRecoveryStatusResponse>;
  "/api/services/key-recovery/request": Post<typeof kmc.KeyRecoveryAskRequest, typeof kmc.KeyRecoveryAskResponse>;
  // 大客户专区 (bigclient, #24)
  "/api/org/login": { body: z.input<typeof renew.LoginRequest>; response: { organisation: string; csrfToken: string } };
  "/api/org/logout": { body: Record<string, never>; response: { ok: true } };
  "/api/org/batches": Post<typeof org.CreateBatchRequest, typeof org.BatchCreatedResponse>;
  "/api/org/batches/pay": Post<typeof org.BatchRef, typeof org.BatchStartedResponse>;
  "/api/org/batches/invoice": {
    body: WithDetails<typeof org.BatchInvoiceRequest>;
    response: { batchNo: string; email: string | null };
  };
}
