import type { Clock } from "../clock";
import type { Certificate, OrderState, RenewalOrder } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor } from "../audit";
import { DomainError } from "../errors";
import { enqueueMail, type MailRequest } from "../outbox";
import { enqueueSms } from "../sms";
import { formatFen } from "../messages/format";
import { invoiceLinkToken, type LinkKeys } from "../crypto/link-token";
import { announceOrderChange } from "./changes";
import { rowOrThrow, sqlRows, uniqueRow, updateRows, type RowData, type Sql } from "../db/lean";

/**
 * The order state machine: the one way an order changes state.
 *
 *   draft → submitted → awaiting_payment → paid → issuing → issued → installed
 *
 * Decisions:
 * - Review (申请表: 确认提交 / 返回修改 / 取消申请) happens while the order is a `draft`: 返回修改 edits the draft
 *   (lib/renewal/create-order.ts updateDraftHandler), 确认提交 submits it. There is no submitted → draft.
 * - Unified payment (priceFen = 0) stays in `submitted` after 确认提交: that is its "ready to issue" state, and
 *   the issuance service moves it submitted → issuing. A failed free issuance goes back to `submitted`, a failed
 *   paid one back to `paid`: either way it can be retried with a new CSR.
 * - `issued → issuing` re-issues for a new key when the pending key on the token is gone.
 * - `cancelled`/`expired` → `refund_pending` when money arrives after the order was closed.
 * - `refund_pending → refunded` only: once a refund is decided the money goes back (a failed refund is retried
 *   by the payments service, the order waits in refund_pending). installed and refunded are final.
 */
export const TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  draft: ["submitted", "cancelled"],
  submitted: ["awaiting_payment", "issuing", "cancelled"],
  awaiting_payment: ["paid", "expired", "cancelled"],
  paid: ["issuing", "refund_pending"],
  issuing: ["issued", "paid", "submitted", "refund_pending"],
  issued: ["installed", "issuing"],
  installed: [],
  cancelled: ["refund_pending"],
  expired: ["refund_pending"],
  refund_pending: ["refunded"],
  refunded: [],
};

export const ORDER_STATES = Object.keys(TRANSITIONS) as OrderState[];

type Edge = `${OrderState}>${OrderState}`;

/** Edges only free (unified payment) or only priced (self-paying) orders may take. */
export const PRICE_CONDITION: Readonly<Partial<Record<Edge, "free" | "priced">>> = {
  "submitted>awaiting_payment": "priced",
  "submitted>issuing": "free",
  "issuing>submitted": "free",
  "issuing>paid": "priced",
  "issuing>refund_pending": "priced",
  "paid>refund_pending": "priced",
  "cancelled>refund_pending": "priced",
  "expired>refund_pending": "priced",
};

/** Entering these states frees the certificate for a new order (openCertificateId → null). */
export const RELEASES_CERTIFICATE: ReadonlySet<OrderState> = new Set(["cancelled", "expired", "installed", "refunded"]);

/**
 * Mail sent on entering a state (written to the outbox in the same transaction). `from` limits it so a retry
 * (issuing → paid after a failed issuance) does not announce the payment twice. order_submitted goes to
 * unified-payment orders too: it tells the handler that no payment is needed and the certificate can be downloaded.
 * Entering `issued` requires `issuedCertificateId` (set it with the transition): the mail names the new certificate.
 */
export const MAIL_ON_ENTER: Readonly<
  Partial<Record<OrderState, { template: OrderMail; from?: readonly OrderState[] }>>
> = {
  submitted: { template: "order_submitted", from: ["draft"] },
  paid: { template: "payment_received", from: ["awaiting_payment"] },
  issued: { template: "certificate_issued" },
  refunded: { template: "refund_made" },
};

export function canTransition(order: Pick<RenewalOrder, "state" | "priceFen">, to: OrderState): boolean {
  if (!TRANSITIONS[order.state].includes(to)) return false;
  const condition = PRICE_CONDITION[`${order.state}>${to}`];
  if (condition === "free") return order.priceFen === 0;
  if (condition === "priced") return order.priceFen > 0;
  return true;
}

/** Columns the machine owns; a caller's `set` may write any other column. */
type ExtraColumns = Omit<RowData<"RenewalOrder">, "id" | "state" | "version" | "openCertificateId">;

export interface TransitionArgs {
  orderId: string;
  to: OrderState;
  actor: Actor;
  clock: Clock;
  /** audit action; default `order.<to>` */
  action?: string;
  /** extra audit data (never ID numbers, phones or keys) */
  data?: Record<string, unknown>;
  /** extra columns written with the transition, e.g. paidAt */
  set?: ExtraColumns;
  /** refuse with CONFLICT unless the order still has this version */
  expectVersion?: number;
  /**
   * The order as this transaction last read it (its row for `orderId`): saves reading it again. The write is guarded
   * by its version and state all the same, so a row someone changed meanwhile ends in CONFLICT, as with expectVersion.
   */
  current?: RenewalOrder;
  /**
   * The secret the payment mail's invoice link is made with (SESSION_SECRET): required when the transition
   * sends `payment_received` (awaiting_payment → paid), read at the edge and passed in.
   */
  links?: LinkKeys;
  /** entering `issued`: the certificate just issued (set.issuedCertificateId's row), for its mail; read when not given */
  issued?: Certificate;
}

type OrderMail = "order_submitted" | "payment_received" | "certificate_issued" | "refund_made";

/** The mail for entering a state, built from the order row (templates mask personal fields before storing). */
async function orderMail(
  tx: Sql,
  issued: Certificate | undefined,
  template: OrderMail,
  o: RenewalOrder,
  now: Date,
  links: LinkKeys | undefined,
): Promise<MailRequest> {
  const base = { to: o.handlerEmail, locale: o.locale === "en" ? ("en" as const) : ("zh-CN" as const), orderId: o.id };
  switch (template) {
    case "order_submitted":
      return {
        ...base,
        template,
        data: {
          orderNo: o.orderNo,
          holderName: o.holderName,
          handlerName: o.handlerName,
          amountFen: o.priceFen,
          years: o.years,
          newNotAfter: o.newNotAfter,
          paymentDeadline: o.paymentDeadline,
        },
      };
    case "payment_received":
      if (!links) throw new Error(`order ${o.id} entered paid without the invoice link secret (links)`);
      return {
        ...base,
        template,
        data: {
          orderNo: o.orderNo,
          amountFen: o.paidFen ?? o.priceFen,
          paidAt: o.paidAt ?? now,
          tradeNo: o.alipayTradeNo,
          invoiceToken: invoiceLinkToken(links, o.id),
        },
      };
    case "certificate_issued": {
      if (!o.issuedCertificateId) throw new Error(`order ${o.id} entered issued without issuedCertificateId`);
      const cert =
        issued?.id === o.issuedCertificateId
          ? issued
          : await rowOrThrow(uniqueRow(tx, "Certificate", "id", o.issuedCertificateId));
      return {
        ...base,
        template,
        data: {
          orderNo: o.orderNo,
          holderName: o.holderName,
          serial: cert.serial,
          notBefore: cert.notBefore,
          notAfter: cert.notAfter,
        },
      };
    }
    case "refund_made": {
      const [refunded] = await sqlRows<{ fen: number | null }>(
        tx,
        `SELECT sum("amountFen")::int AS "fen" FROM "Refund" WHERE "orderId" = $1 AND "state" = 'succeeded'`,
        [o.id],
      );
      return {
        ...base,
        template,
        data: { orderNo: o.orderNo, amountFen: refunded?.fen ?? o.paidFen ?? o.priceFen, refundedAt: now },
      };
    }
  }
}

/**
 * Moves an order to `to`. Call it inside `withTx(db, async (tx) => …)` (lib/audit) together with the
 * change that causes it: it reads the order (unless given `current`), refuses illegal moves
 * (ORDER_ILLEGAL_TRANSITION), writes with optimistic concurrency on `version` (CONFLICT when someone else changed
 * the order first), appends the audit event and queues the mail of the new state.
 */
export async function transitionOrder(tx: Sql, args: TransitionArgs): Promise<RenewalOrder> {
  if (args.current && args.current.id !== args.orderId)
    throw new Error(`transitionOrder: current is order ${args.current.id}, not ${args.orderId}`);
  const order = args.current ?? (await uniqueRow(tx, "RenewalOrder", "id", args.orderId));
  if (!order) throw new DomainError("ORDER_NOT_FOUND");
  if (args.expectVersion !== undefined && order.version !== args.expectVersion) throw new DomainError("CONFLICT");
  if (!canTransition(order, args.to))
    throw new DomainError("ORDER_ILLEGAL_TRANSITION", { from: order.state, to: args.to });

  // one UPDATE … RETURNING, guarded by the version and state just read: no row means someone else moved it first
  const [updated] = await updateRows(
    tx,
    "RenewalOrder",
    {
      ...args.set,
      state: args.to,
      updatedAt: args.clock.now(),
      ...(RELEASES_CERTIFICATE.has(args.to) ? { openCertificateId: null } : {}),
    },
    {
      sql: `WHERE "id" = $1 AND "version" = $2 AND "state" = $3::"OrderState"`,
      values: [order.id, order.version, order.state],
      also: `"version" = "version" + 1`,
    },
  );
  if (!updated) throw new DomainError("CONFLICT");

  // the payment page waits for its order to leave awaiting_payment (paid, expired, cancelled)
  if (order.state === "awaiting_payment") await announceOrderChange(tx, order.id);

  await appendAudit(
    tx,
    {
      ...actorFields(args.actor),
      action: args.action ?? `order.${args.to}`,
      targetType: "order",
      targetId: order.id,
      fromState: order.state,
      toState: args.to,
      data: { orderNo: order.orderNo, ...args.data },
    },
    args.clock,
  );

  const mail = MAIL_ON_ENTER[args.to];
  if (mail && (!mail.from || mail.from.includes(order.state))) {
    await enqueueMail(
      tx,
      await orderMail(tx, args.issued, mail.template, updated, args.clock.now(), args.links),
      args.clock,
    );
  }
  // reach (#24): the payment receipt by SMS too, when the handler chose it
  if (args.to === "paid" && order.state === "awaiting_payment" && updated.notifySms) {
    await enqueueSms(
      tx,
      {
        toEnc: updated.handlerMobileEnc,
        template: "payment_received",
        params: { orderNo: updated.orderNo, amount: formatFen(updated.paidFen ?? updated.priceFen) },
        orderId: updated.id,
      },
      args.clock,
    );
  }
  return updated;
}
