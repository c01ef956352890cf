import type { KeyObject } from "node:crypto";
import type { HolderClient } from "./http";
import { handlerFor, newKeyAndCsr, signChallenge, type SimHolder } from "./holders";
import type { Recorder } from "./stats";
import { CONSENT_VERSIONS } from "../../consent";
import type { IssueResponse } from "../../api/renew";
import { openPage } from "./pages";

/**
 * One simulated holder through the whole wizard over HTTP, step by step as the browser and the certificate
 * assistant would call the portal. Every step is timed under its name; the first failure ends the holder's run.
 */

export type FlowStep =
  | "challenge"
  | "login"
  | "summary"
  | "captcha"
  | "handler"
  | "confirm"
  | "payment"
  | "sandbox-pay"
  | "payment-status"
  | "payment-poll"
  | "payment-wait"
  | "invoice-skip"
  | "issue-challenge"
  | "issue"
  | "installed"
  // with `pages`: the wizard's own pages (lib/dev/sim/pages.ts) and the key list's marks
  | "page /renew"
  | "renewability"
  | "page details"
  | "page review"
  | "page pay"
  | "page invoice"
  | "page issue"
  | "page done";

interface OrderView {
  id: string;
  state: string;
  step: string;
}

export interface FlowOptions {
  /** stop after this step (fault tests leave orders at a given point) */
  until?: FlowStep;
  /** how long to wait for the notification to mark the order paid */
  paidTimeoutMs?: number;
  pollMs?: number;
  /**
   * the payment page's poll while the QR code is shown, before the holder has paid (Payment.tsx: every 2 s), timed
   * as "payment-poll"; off by default (without think time the holder pays at once)
   */
  qrPollMs?: number;
  /**
   * the payment page as it is (Payment.tsx): one status request at a time waiting up to this many seconds on the
   * server, from the QR code until the page learns of the payment; each held request is timed as "payment-wait" (a
   * wait, not a latency), and "payment-status" is from the phone's payment until the page knows. Wins over qrPollMs.
   */
  qrWaitS?: number;
  /**
   * the browser's page requests too (lib/dev/sim/pages.ts): the first page (/renew) with its scripts and the key
   * list's marks, and for each page after the sign-in the summary the wizard draws it from
   * (app/renew/_components/Wizard.tsx): "page details" is then the flow's summary step
   */
  pages?: boolean;
  /** waits before each step as the person at the keyboard would (bench/flow.ts --pace human); none by default */
  think?: (step: FlowStep) => Promise<void>;
}

export interface FlowResult {
  orderId?: string;
  orderNo?: string;
  completed: FlowStep[];
  /** ms from the sandbox payment to the order being paid (notification or query) */
  timeToPaidMs?: number;
  issuedSerial?: string;
}

/**
 * The install confirmation as the wizard sends it once the certificate is on the key: the new key signs a login
 * challenge for the new certificate, the one the 下证 answer brought (`given`) or, without one or when that one can no
 * longer be answered, a new one.
 */
async function confirmInstall(
  client: HolderClient,
  newKey: KeyObject,
  newSerial: string,
  orderId: string,
  given?: string,
): Promise<{ state: string }> {
  const post = (challenge: string) =>
    client.ok<{ state: string }>("POST", "/api/renew/installed", {
      json: { orderId, challenge, signature: signChallenge(newKey, challenge) },
      idempotent: true,
    });
  if (given) {
    try {
      return await post(given);
    } catch (e) {
      if (!(e instanceof Error) || !/POP_CHALLENGE_(USED|EXPIRED)/.test(e.message)) throw e;
    }
  }
  return withFreshChallenge(async () => {
    const { challenge } = await client.ok<{ challenge: string }>("POST", "/api/renew/challenge", {
      json: { serial: newSerial },
    });
    return post(challenge);
  });
}

/**
 * A signed challenge is single-use. When a request carrying one was cut off (its server process died after using
 * the challenge) and sent again, the portal answers POP_CHALLENGE_USED ("请重新提交"): the wizard then asks for a
 * new challenge and signs again, and so does the simulation. Issuance and the install confirmation are idempotent
 * for the same order and key, so the second round finishes what the first began.
 */
async function withFreshChallenge<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (i >= 2 || !(e instanceof Error) || !e.message.includes("POP_CHALLENGE_USED")) throw e;
    }
  }
}

/** 下证 for an order with a new key pair and its CSR (as the token makes them), then the install confirmation. Returns the new serial. */
export async function issueAndInstall(
  client: HolderClient,
  oldKey: KeyObject,
  orderId: string,
  newKey: { key: KeyObject; csr: Buffer } = newKeyAndCsr(),
): Promise<string> {
  const body = { orderId, csr: newKey.csr.toString("base64") };
  const issued = await withFreshChallenge(async () => {
    const { challenge } = await client.ok<{ challenge: string }>("POST", "/api/renew/issue-challenge", { json: body });
    return client.ok<IssueResponse>("POST", "/api/renew/issue", {
      json: { ...body, challenge, signature: signChallenge(oldKey, challenge) },
      idempotent: true,
    });
  });
  await confirmInstall(client, newKey.key, issued.certificate.serial, orderId, issued.install?.challenge);
  return issued.certificate.serial;
}

/**
 * The payment page waiting for its order (Payment.tsx): a status request that the server holds up to `waitS`
 * seconds, sent again at once, from the QR code until the order is paid; `paid` resolves then (or rejects after
 * `timeoutMs` or once `stop` is called). A failed request is counted and sent again after 2 s, as the page does.
 */
function waitWhileQrShown(
  client: HolderClient,
  rec: Recorder,
  orderId: string,
  waitS: number,
  timeoutMs: number,
): { paid: Promise<void>; stop(): void } {
  let stopped = false;
  const paid = (async () => {
    const until = performance.now() + timeoutMs;
    while (!stopped && performance.now() < until) {
      const s = await rec
        .time("payment-wait", () =>
          client.ok<{ paid: boolean; state: string }>("GET", `/api/renew/payment?orderId=${orderId}&wait=${waitS}`),
        )
        .catch(() => undefined);
      if (s?.paid) return;
      if (s && s.state !== "awaiting_payment") throw new Error(`order ${s.state}, not paid`);
      if (!s) await new Promise((r) => setTimeout(r, 2000));
    }
    throw new Error(stopped ? "stopped" : `not paid after ${timeoutMs} ms`);
  })();
  paid.catch(() => undefined); // observed by the caller, or abandoned with the flow
  return {
    paid,
    stop() {
      stopped = true;
    },
  };
}

/**
 * The payment page polling its order every `everyMs` while the holder scans the QR code and pays: started when the
 * QR code is shown, stopped once the phone has paid (the flow's own status loop is the page's poll after that). A
 * failed poll is counted and the page polls again, as Payment.tsx does.
 */
function pollWhileQrShown(client: HolderClient, rec: Recorder, orderId: string, everyMs: number): { stop(): void } {
  let stopped = false;
  let wake = () => {};
  void (async () => {
    for (;;) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, everyMs);
      });
      if (stopped) return;
      await rec
        .time("payment-poll", () => client.ok("GET", `/api/renew/payment?orderId=${orderId}`))
        .catch(() => undefined);
    }
  })();
  return {
    stop() {
      stopped = true;
      wake();
    },
  };
}

export async function runHolderFlow(
  client: HolderClient,
  holder: SimHolder,
  rec: Recorder,
  opts: FlowOptions = {},
): Promise<FlowResult> {
  const result: FlowResult = { completed: [] };
  const step = async <T>(name: FlowStep, fn: () => Promise<T>): Promise<T | undefined> => {
    await opts.think?.(name);
    const r = await rec.time(name, fn);
    result.completed.push(name);
    return r;
  };
  const done = (name: FlowStep) => opts.until === name;
  // the wizard draws each page after the sign-in in the browser, from the summary (app/renew/_components/Wizard.tsx)
  const page = async (name: FlowStep) => {
    if (opts.pages) await step(name, () => client.ok("GET", "/api/renew/summary"));
  };

  if (opts.pages) {
    await step("page /renew", () => openPage(client, "/renew"));
    await step("renewability", () =>
      client.ok("POST", "/api/renew/renewability", { json: { serials: [holder.serial] } }),
    );
  }
  const { challenge } = (await step("challenge", () =>
    client.ok<{ challenge: string }>("POST", "/api/renew/challenge", { json: { serial: holder.serial } }),
  ))!;
  if (done("challenge")) return result;
  const login = (await step("login", () =>
    client.ok<{ csrfToken: string }>("POST", "/api/renew/login", {
      json: { challenge, signature: signChallenge(holder.key, challenge) },
    }),
  ))!;
  client.csrfToken = login.csrfToken;
  if (done("login")) return result;
  if (opts.pages) await page("page details");
  else await step("summary", () => client.ok("GET", "/api/renew/summary"));
  if (done("summary")) return result;
  const captcha = (await step("captcha", () => client.ok<{ id: string }>("GET", "/api/renew/captcha")))!;
  if (done("captcha")) return result;
  const draft = (await step("handler", () =>
    client.ok<OrderView>("POST", "/api/renew/handler", {
      json: { handler: handlerFor(holder.index), captchaId: captcha.id, captchaAnswer: "test-bypass" },
      idempotent: true,
    }),
  ))!;
  result.orderId = draft.id;
  if (done("handler")) return result;
  await page("page review");
  const confirmed = (await step("confirm", () =>
    client.ok<OrderView & { orderNo?: string }>("POST", "/api/renew/confirm", {
      json: { orderId: draft.id, consent: CONSENT_VERSIONS },
      idempotent: true,
    }),
  ))!;
  if (done("confirm")) return result;

  if (confirmed.state === "awaiting_payment") {
    await page("page pay");
    const pay = (await step("payment", () =>
      client.ok<{ qrCode: string; orderNo: string }>("POST", "/api/renew/payment", {
        json: { orderId: draft.id },
        idempotent: true,
      }),
    ))!;
    result.orderNo = pay.orderNo;
    if (done("payment")) return result;
    const payUrl = new URL(pay.qrCode);
    const paidTimeoutMs = opts.paidTimeoutMs ?? 60_000;
    const waiting = opts.qrWaitS
      ? waitWhileQrShown(client, rec, draft.id, opts.qrWaitS, 10 * paidTimeoutMs)
      : undefined;
    const polling = !waiting && opts.qrPollMs ? pollWhileQrShown(client, rec, draft.id, opts.qrPollMs) : undefined;
    // the buyer's phone: Alipay's pay page (the emulator) is on the portal in demo mode
    await step("sandbox-pay", async () => {
      const r = await client.request("POST", `${payUrl.pathname}/confirm`);
      if (r.status !== 303 && r.status !== 200) throw new Error(`sandbox pay → ${r.status}`);
    })
      .catch((e: unknown) => {
        waiting?.stop();
        throw e;
      })
      .finally(() => polling?.stop());
    if (done("sandbox-pay")) {
      waiting?.stop();
      return result;
    }
    const paidFrom = performance.now();
    const until = paidFrom + paidTimeoutMs;
    if (waiting) {
      const timer = setTimeout(() => waiting.stop(), paidTimeoutMs);
      await rec.time("payment-status", () => waiting.paid).finally(() => clearTimeout(timer));
    }
    for (; !waiting;) {
      const s = (await rec.time("payment-status", () =>
        client.ok<{ paid: boolean; state: string }>("GET", `/api/renew/payment?orderId=${draft.id}`),
      ))!;
      if (s.paid) break;
      if (performance.now() > until) {
        rec.fail("payment-status", `not paid after ${paidTimeoutMs} ms (state ${s.state})`);
        throw new Error("payment not settled in time");
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    }
    result.timeToPaidMs = performance.now() - paidFrom;
    result.completed.push("payment-status");
    if (done("payment-status")) return result;
    await page("page invoice");
    await step("invoice-skip", () =>
      client.ok("POST", "/api/renew/invoice", { json: { orderId: draft.id, skip: true }, idempotent: true }),
    );
    if (done("invoice-skip")) return result;
  }
  await page("page issue");

  const { key: newKey, csr } = newKeyAndCsr();
  const csrB64 = csr.toString("base64");
  let issued: IssueResponse | undefined;
  for (let round = 0; !issued; round++) {
    const ic = (await step("issue-challenge", () =>
      client.ok<{ challenge: string }>("POST", "/api/renew/issue-challenge", {
        json: { orderId: draft.id, csr: csrB64 },
      }),
    ))!;
    if (done("issue-challenge")) return result;
    try {
      issued = (await step("issue", () =>
        client.ok<IssueResponse>("POST", "/api/renew/issue", {
          json: {
            orderId: draft.id,
            csr: csrB64,
            challenge: ic.challenge,
            signature: signChallenge(holder.key, ic.challenge),
          },
          idempotent: true,
        }),
      ))!;
    } catch (e) {
      // see withFreshChallenge
      if (round >= 2 || !(e instanceof Error) || !e.message.includes("POP_CHALLENGE_USED")) throw e;
    }
  }
  result.issuedSerial = issued.certificate.serial;
  if (done("issue")) return result;
  await step("installed", () =>
    confirmInstall(client, newKey, issued.certificate.serial, draft.id, issued.install?.challenge),
  );
  await page("page done");
  return result;
}
