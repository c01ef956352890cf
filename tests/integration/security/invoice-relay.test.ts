import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "@/lib/config";
import { invoiceLinkToken } from "@/lib/crypto/link-token";
import { INVOICE_MAIL_LIMITS } from "@/lib/payments/invoice";
import { systemClock } from "@/lib/clock";
import { insertOrder } from "@/tests/integration/payments/harness";
import * as invoiceLink from "@/app/api/invoice/[token]/route";
import { call, securityWorld, type SecurityWorld } from "./harness";

/** Issue 21 item 5: the invoice link is not a mail relay. */

let w: SecurityWorld;
beforeAll(async () => {
  w = await securityWorld();
});
afterAll(async () => {
  await w?.close();
});

describe("the invoice link (item 5)", () => {
  it("20 posts with attacker titles and addresses mail no attacker address and at most the day's few mails", async () => {
    const order = await insertOrder(w.db, systemClock, { state: "paid" });
    const token = invoiceLinkToken(getConfig(), order.id);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await invoiceLink.POST(
        call(
          w.origin,
          `/api/invoice/${token}`,
          { ip: `198.51.100.${i}` },
          {
            details: { type: "personal", title: `买便宜发票加微信 spam${i}`, email: `victim${i}@example.org` },
          },
        ),
        { params: Promise.resolve({ token }) },
      );
      statuses.push(res.status);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    const mails = await w.db.mailOutbox.findMany({ where: { template: "invoice_received" } });
    expect(mails.filter((m) => m.to.endsWith("@example.org"))).toEqual([]);
    expect(mails.length).toBeLessThanOrEqual(INVOICE_MAIL_LIMITS.order.max);
    expect(new Set(mails.map((m) => m.to))).toEqual(new Set([order.handlerEmail]));
    // the details finance needs are stored all the same
    expect((await w.db.invoice.findUniqueOrThrow({ where: { orderId: order.id } })).email).toBe("victim19@example.org");
  });
});
