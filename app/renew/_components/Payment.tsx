"use client";

import { useEffect, useRef, useState } from "react";
import { useStepNav } from "@/components/StepNav";
import { stepPathOf } from "../_lib/steps";
import type { Messages } from "@/lib/messages";
import { apiGet, apiPost } from "@/lib/api/client";
import type { PaymentStartedResponse } from "@/lib/api/renew";
import { PAYMENT_WAIT_MAX_S } from "@/lib/api/payment-wait";
import styles from "../renew.module.css";
import { fill, formatFen } from "@/lib/messages/format";
import { alipayAppLink } from "@/lib/payments/alipay/app-link";
import { QrCode } from "@/components/payments/QrCode";

/**
 * The status request waits up to PAYMENT_WAIT_MAX_S on the server for the payment to land and is sent again at
 * once; an answer sooner than that without news (an error, a server that does not wait) waits POLL_MS first.
 */
const POLL_MS = 2000;

function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export function Payment({
  t,
  yuanLabel,
  orderId,
  csrf,
  sandbox,
}: {
  t: Messages["wizard"]["pay"];
  yuanLabel: string;
  orderId: string;
  csrf: string;
  sandbox: boolean;
}) {
  const go = useStepNav();
  const key = useRef(crypto.randomUUID());
  const [started, setStarted] = useState<PaymentStartedResponse | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [state, setState] = useState<"waiting" | "paid" | "expired">("waiting");
  const [error, setError] = useState("");

  useEffect(() => {
    apiPost("/api/renew/payment", { orderId }, { csrf, idempotencyKey: key.current }).then(setStarted, (e: Error) =>
      setError(e.message),
    );
  }, [orderId, csrf]);

  useEffect(() => {
    if (!started) return;
    const tick = setInterval(() => setNow(Date.now()), 1000);
    let stop = false;
    const poll = async () => {
      if (stop) return;
      const sent = Date.now();
      try {
        const s = await apiGet("/api/renew/payment", { query: { orderId, wait: PAYMENT_WAIT_MAX_S } });
        if (s.paid) {
          setState("paid");
          go(stepPathOf(s.step) ?? "/renew/invoice");
          return;
        }
        if (s.state === "expired" || s.state === "cancelled") {
          setState("expired");
          return;
        }
      } catch {
        // a failed poll is retried on the next tick
      }
      if (!stop) setTimeout(() => void poll(), Date.now() - sent >= POLL_MS ? 0 : POLL_MS);
    };
    void poll();
    return () => {
      stop = true;
      clearInterval(tick);
    };
  }, [started, orderId, go]);

  if (error)
    return (
      <div className="alert alert-err" role="alert">
        {error}
      </div>
    );
  if (!started)
    return (
      <p className="muted" role="status">
        {t.loading}
      </p>
    );
  const left = new Date(started.deadline).getTime() - now;
  return (
    <div className={styles.payBox}>
      <div className={styles.qr}>
        <QrCode text={started.qrCode} alt={t.qrAlt} />
      </div>
      <dl className="kv">
        <dt>{t.amount}</dt>
        <dd className={styles.amount} data-testid="pay-amount">
          {fill(yuanLabel, { amount: formatFen(started.amountFen) })}
        </dd>
        <dt>{t.orderNo}</dt>
        <dd className="mono" data-testid="pay-order-no">
          {started.orderNo}
        </dd>
        <dt>{t.remaining}</dt>
        <dd className="mono" data-testid="pay-countdown">
          {clock(left)}
        </dd>
      </dl>
      <p
        role="status"
        aria-live="polite"
        className={state === "paid" ? "alert alert-ok" : state === "expired" ? "alert alert-err" : "alert alert-info"}
        data-testid="pay-status"
      >
        {state === "paid" ? t.paid : state === "expired" || left <= 0 ? t.expired : t.waiting}
      </p>
      {state === "waiting" && left > 0 ? (
        <div className={styles.phoneOnly} data-testid="alipay-app">
          <p className="small">{t.onPhone}</p>
          <a
            className="btn btn-primary"
            href={alipayAppLink(started.qrCode, sandbox)}
            target={sandbox ? "_blank" : undefined}
            rel={sandbox ? "noopener" : undefined}
            data-testid="alipay-app-link"
          >
            {t.openInAlipay}
          </a>
        </div>
      ) : null}
      {state === "expired" ? (
        <a className="btn" href="/renew/details">
          {t.restart}
        </a>
      ) : null}
      {sandbox && state === "waiting" ? (
        <p className="small">
          <a href={started.qrCode} target="_blank" rel="noopener" data-testid="sandbox-pay-link">
            {t.sandbox}
          </a>
        </p>
      ) : null}
    </div>
  );
}
