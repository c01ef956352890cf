"use client";

import { useRef, useState } from "react";
import { useStepNav } from "@/components/StepNav";
import { stepPathOf } from "../_lib/steps";
import type { Messages } from "@/lib/messages";
import { apiPost } from "@/lib/api/client";
import type { OrderResponse } from "@/lib/api/renew";
import styles from "../renew.module.css";
import { fill } from "@/lib/messages/format";
import { ErrorAlert } from "@/components/ui/ErrorAlert";

/** A document to accept before 确认提交 (lib/consent), with where to read it. */
export interface ConsentDoc {
  key: "agreement" | "privacy";
  title: string;
  version: string;
  href: string;
}

/** 确认提交 (idempotent: one key for the whole page, so a double click is one submission), 返回修改, 取消申请. */
export function ReviewActions({
  t,
  orderId,
  csrf,
  consentDocs,
}: {
  t: Messages["wizard"]["review"];
  orderId: string;
  csrf: string;
  consentDocs: ConsentDoc[];
}) {
  const go = useStepNav();
  const dialog = useRef<HTMLDialogElement>(null);
  const confirmKey = useRef(crypto.randomUUID());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [accepted, setAccepted] = useState<Partial<Record<ConsentDoc["key"], string>>>({});

  async function run(
    path: "/api/renew/confirm" | "/api/renew/cancel",
    key: string | undefined,
    next: (r: OrderResponse) => string,
  ) {
    setBusy(true);
    setError("");
    try {
      // the server refuses 确认提交 without both documents' current versions (CONSENT_REQUIRED / CONSENT_OUTDATED)
      const body = path === "/api/renew/confirm" ? { orderId, consent: accepted } : { orderId };
      const r = await apiPost(path, body, { csrf, idempotencyKey: key });
      go(next(r));
    } catch (e) {
      setBusy(false);
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <>
      <fieldset className={styles.consent} data-testid="consent">
        <legend>{t.consentLegend}</legend>
        {consentDocs.map((d) => (
          <div key={d.key} className={styles.consentRow}>
            <input
              type="checkbox"
              id={`consent-${d.key}`}
              checked={accepted[d.key] === d.version}
              onChange={(e) => setAccepted((a) => ({ ...a, [d.key]: e.target.checked ? d.version : undefined }))}
            />
            <label htmlFor={`consent-${d.key}`}>{fill(t.consentAccept, { title: d.title, version: d.version })}</label>{" "}
            <a href={d.href} target="_blank" rel="noopener" className="small">
              {fill(t.consentRead, { title: d.title })}
            </a>
          </div>
        ))}
      </fieldset>
      <ErrorAlert message={error} />
      <div className="actions">
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy}
          onClick={() => void run("/api/renew/confirm", confirmKey.current, (r) => stepPathOf(r.step) ?? "/renew")}
        >
          {busy ? t.submitting : t.confirm}
        </button>
        <button type="button" className="btn" disabled={busy} onClick={() => go("/renew/details")}>
          {t.edit}
        </button>
        <button type="button" className="btn btn-danger" disabled={busy} onClick={() => dialog.current?.showModal()}>
          {t.cancel}
        </button>
      </div>
      <dialog ref={dialog} className={styles.dialog} aria-labelledby="cancel-title">
        <h2 id="cancel-title">{t.confirmCancelTitle}</h2>
        <p>{t.confirmCancelBody}</p>
        <div className="actions">
          <button
            type="button"
            className="btn btn-danger"
            onClick={() => {
              dialog.current?.close();
              void run("/api/renew/cancel", undefined, () => "/renew/cancelled");
            }}
          >
            {t.confirmCancelYes}
          </button>
          <button type="button" className="btn" autoFocus onClick={() => dialog.current?.close()}>
            {t.confirmCancelNo}
          </button>
        </div>
      </dialog>
    </>
  );
}
