"use client";

import { useCallback, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import type { Messages } from "@/lib/messages";
import { apiGet, apiPost } from "@/lib/api/client";
import { usePolledPayment } from "@/components/payments/usePolledPayment";
import { QrCode } from "@/components/payments/QrCode";
import { alipayAppLink } from "@/lib/payments/alipay/app-link";
import { formatDateTime } from "@/lib/messages/format";
import styles from "../org.module.css";

/** The batch's QR code and live state, as the holder's 支付 page: one Alipay trade for the whole batch. */
export function BatchPayment({
  t,
  batchNo,
  csrf,
  sandbox,
}: {
  t: Messages["org"]["pay"];
  batchNo: string;
  csrf: string;
  sandbox: boolean;
}) {
  const router = useRouter();
  const key = useRef(crypto.randomUUID());
  const [state, setState] = useState("awaiting_payment");
  const start = useCallback(
    () => apiPost("/api/org/batches/pay", { batchNo }, { csrf, idempotencyKey: key.current }),
    [batchNo, csrf],
  );
  const poll = useCallback(async () => {
    const s = await apiGet("/api/org/batches/status", { query: { batchNo } });
    if (s.state === "awaiting_payment") return false;
    setState(s.state);
    router.refresh();
    return true;
  }, [batchNo, router]);
  const { started, error } = usePolledPayment(start, poll);

  if (error)
    return (
      <div className="alert alert-err" role="alert">
        {error}
      </div>
    );
  if (!started) return <p className="muted">…</p>;
  return (
    <div className="stack">
      <div className={styles.qr}>
        <QrCode text={started.qrCode} alt={t.title} />
      </div>
      <dl className="kv">
        <dt>{t.deadline}</dt>
        <dd className="mono">{formatDateTime(started.deadline)}</dd>
      </dl>
      <p role="status" aria-live="polite" className="alert alert-info" data-testid="org-pay-status">
        {state === "awaiting_payment" ? t.waiting : state}
      </p>
      <a className="btn btn-primary" href={alipayAppLink(started.qrCode, sandbox)}>
        {t.openAlipay}
      </a>
      {sandbox && (
        <p className="small">
          <a href={started.qrCode} target="_blank" rel="noopener" data-testid="sandbox-pay-link">
            {t.sandbox}
          </a>
        </p>
      )}
    </div>
  );
}
