import "@/tests/helpers/env";
import { beforeAll, beforeEach, describe, expect, test } from "vitest";
import { getConfig } from "@/lib/config";
import { setProcessDb } from "@/lib/db";
import { systemClock } from "@/lib/clock";
import { COOKIE, CSRF_HEADER } from "@/lib/session";
import { withTx } from "@/lib/audit";
import { enqueueMail } from "@/lib/outbox";
import { deliverDue } from "@/lib/mail/worker";
import { signIn } from "@/lib/staff/auth";
import { createStaffUser } from "@/lib/staff/users";
import { POST as retryRoute } from "@/app/api/staff/mails/[id]/retry/route";
import { useMailTestBed } from "./smtp";
import { insertCertificate, insertOrder } from "./fixtures";

/** Staff retry a failed mail through the staff API route, as the dashboard's and the order page's button do. */
const ctx = useMailTestBed();
const sessions: Record<string, { token: string; csrf: string }> = {};

beforeAll(async () => {
  setProcessDb(ctx.db);
  for (const role of ["helpdesk", "auditor"] as const) {
    await createStaffUser(
      ctx.db.prisma,
      { username: `mail-${role}`, password: "Correct-Horse-42!", role },
      { type: "system", id: "test" },
      systemClock,
    );
    const s = await signIn(
      ctx.db.prisma,
      getConfig(),
      { username: `mail-${role}`, password: "Correct-Horse-42!" },
      systemClock,
    );
    sessions[role] = { token: s.token, csrf: s.session.csrfToken };
  }
});

beforeEach(async () => {
  await ctx.db.prisma.mailOutbox.deleteMany();
});

function retry(role: string, mailId: string) {
  const origin = getConfig().publicOrigin;
  const req = new Request(`${origin}/api/staff/mails/${mailId}/retry`, {
    method: "POST",
    headers: {
      origin,
      "content-type": "application/json",
      cookie: `${COOKIE.staff}=${sessions[role].token}`,
      [CSRF_HEADER]: sessions[role].csrf,
    },
    body: "{}",
  });
  return retryRoute(req, { params: Promise.resolve({ id: mailId }) });
}

const deliver = () =>
  deliverDue(ctx.db.prisma, { clock: systemClock, origin: getConfig().publicOrigin, transport: ctx.smtp.transport() });

/** A mail the SMTP server refused for good (550): failed at once, as the dashboard lists it. */
async function failedMail(orderId?: string) {
  await withTx(ctx.db.prisma, (tx) =>
    enqueueMail(
      tx,
      {
        to: "holder@example.cn",
        template: "payment_received",
        data: { orderNo: "R0001", amountFen: 5000, paidAt: systemClock.now() },
        orderId,
      },
      systemClock,
    ),
  );
  ctx.smtp.reject = { code: 550, message: "mailbox unavailable" };
  expect(await deliver()).toMatchObject({ failed: 1 });
  ctx.smtp.reject = undefined;
  const mail = await ctx.db.prisma.mailOutbox.findFirstOrThrow();
  expect(mail).toMatchObject({ state: "failed", attempts: 1 });
  return mail;
}

describe("staff retry a failed mail", () => {
  test("helpdesk retries it: it is delivered with the next run, the audit names the staff member", async () => {
    const mail = await failedMail();
    const res = await retry("helpdesk", mail.id);
    expect(res.status).toBe(200);
    expect(await ctx.db.prisma.mailOutbox.findUniqueOrThrow({ where: { id: mail.id } })).toMatchObject({
      state: "pending",
      attempts: 0,
      lastError: null,
    });
    expect(await deliver()).toMatchObject({ claimed: 1, sent: 1 });
    expect(ctx.smtp.received.map((m) => m.to)).toEqual([["holder@example.cn"]]);
    expect(await ctx.db.prisma.mailOutbox.findUniqueOrThrow({ where: { id: mail.id } })).toMatchObject({
      state: "sent",
    });

    const helpdeskId = (await ctx.db.prisma.staffUser.findUniqueOrThrow({ where: { username: "mail-helpdesk" } })).id;
    expect(
      await ctx.db.prisma.auditEvent.findFirst({ where: { action: "mail.retried", targetId: mail.id } }),
    ).toMatchObject({
      actorType: "staff",
      actorId: helpdeskId,
      targetType: "mail",
      data: { mailId: mail.id, template: "payment_received", attempts: 1 },
    });
  });

  test("an order's mail: the retry shows in the order's timeline", async () => {
    const cert = await insertCertificate(ctx.db.prisma, {
      serial: "retry-1",
      notAfter: new Date("2027-01-01T00:00:00Z"),
    });
    const order = await insertOrder(ctx.db.prisma, cert.id, cert.serial, "paid");
    const mail = await failedMail(order.id);
    expect((await retry("helpdesk", mail.id)).status).toBe(200);
    expect(
      await ctx.db.prisma.auditEvent.findFirst({ where: { action: "mail.retried", targetType: "order" } }),
    ).toMatchObject({ targetId: order.id, data: { mailId: mail.id } });
    expect(await deliver()).toMatchObject({ sent: 1 });
  });

  test("a mail that has not failed is refused (409), one that does not exist is not found (404)", async () => {
    const mail = await failedMail();
    expect((await retry("helpdesk", mail.id)).status).toBe(200);
    const again = await retry("helpdesk", mail.id);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "MAIL_NOT_FAILED" } });
    expect((await retry("helpdesk", "00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });

  test("the auditor may not retry: refused, the mail stays failed and nothing is sent", async () => {
    const mail = await failedMail();
    const res = await retry("auditor", mail.id);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect(await ctx.db.prisma.mailOutbox.findUniqueOrThrow({ where: { id: mail.id } })).toMatchObject({
      state: "failed",
      attempts: 1,
    });
    expect(await deliver()).toMatchObject({ claimed: 0 });
    expect(ctx.smtp.received).toEqual([]);
    expect(await ctx.db.prisma.auditEvent.count({ where: { action: "mail.retried", targetId: mail.id } })).toBe(0);
  });
});
