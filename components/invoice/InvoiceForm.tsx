"use client";

import { useState, type FormEvent } from "react";
import { useStepNav } from "@/components/StepNav";
import type { Messages } from "@/lib/messages";
import { ApiError, apiPost } from "@/lib/api/client";
import type { PostEndpoints } from "@/lib/api/endpoints";
import styles from "./InvoiceForm.module.css";
import { ErrorAlert } from "@/components/ui/ErrorAlert";

type Field = "type" | "title" | "taxpayerId" | "email";
type Values = Record<Exclude<Field, "type">, string> & { type: "personal" | "organisation" };

/**
 * 开票信息. In the wizard it posts to /api/renew/invoice for the session's order (and offers 跳过); on the order's
 * invoice link page (/invoice/<token>) it posts to that link's endpoint, with no session and nothing to skip.
 */
export function InvoiceForm({
  t,
  validation,
  post,
  next,
  initial,
}: {
  t: Messages["wizard"]["invoice"];
  validation: Record<string, string>;
  post:
    | { url: "/api/renew/invoice"; orderId: string; csrf: string }
    | { url: `/api/invoice/${string}` }
    // 大客户专区: one invoice for an organisation's batch payment
    | { url: "/api/org/batches/invoice"; batchNo: string; csrf: string };
  next: string;
  /** what the wizard already knows: the holder's name as 发票抬头, its kind, the handler's e-mail */
  initial?: Partial<Values>;
}) {
  const go = useStepNav();
  const [v, setV] = useState<Values>({ type: "personal", title: "", taxpayerId: "", email: "", ...initial });
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function send(body: PostEndpoints[typeof post.url]["body"]) {
    setBusy(true);
    setErrors({});
    setError("");
    try {
      await apiPost(post.url, body, { csrf: "csrf" in post ? post.csrf : undefined });
      go(next);
      // the link page stays where it is (it shows what was saved): the form can be sent again
      if (!("orderId" in post)) setBusy(false);
    } catch (e) {
      setBusy(false);
      const fields = e instanceof ApiError ? (e.details.fields ?? {}) : {};
      const mapped: Partial<Record<Field, string>> = {};
      for (const [k, msg] of Object.entries(fields))
        mapped[k.replace(/^details\./, "") as Field] = validation[msg] ?? msg;
      setErrors(mapped);
      if (!Object.keys(mapped).length) setError(e instanceof Error ? e.message : String(e));
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    const details = { ...v, taxpayerId: v.type === "organisation" || v.taxpayerId ? v.taxpayerId : undefined };
    void send(
      "orderId" in post
        ? { orderId: post.orderId, details }
        : "batchNo" in post
          ? { batchNo: post.batchNo, details }
          : { details },
    );
  }

  const input = (k: Exclude<Field, "type">, label: string, type = "text", hint?: string) => (
    <div className={`field${errors[k] ? " has-error" : ""}`}>
      <label htmlFor={`i-${k}`}>{label}</label>
      <input
        id={`i-${k}`}
        type={type}
        value={v[k]}
        onChange={(e) => setV({ ...v, [k]: e.target.value })}
        aria-invalid={errors[k] ? true : undefined}
        aria-describedby={hint ? `ih-${k} ie-${k}` : `ie-${k}`}
      />
      {hint ? (
        <span className="field-hint" id={`ih-${k}`}>
          {hint}
        </span>
      ) : null}
      <span className="field-error" id={`ie-${k}`}>
        {errors[k] ?? ""}
      </span>
    </div>
  );

  return (
    <form onSubmit={submit} noValidate>
      <fieldset className={styles.radioGroup}>
        <legend>{t.type}</legend>
        <label>
          <input
            type="radio"
            name="type"
            checked={v.type === "personal"}
            onChange={() => setV({ ...v, type: "personal" })}
          />{" "}
          {t.personal}
        </label>
        <label>
          <input
            type="radio"
            name="type"
            checked={v.type === "organisation"}
            onChange={() => setV({ ...v, type: "organisation" })}
          />{" "}
          {t.organisation}
        </label>
      </fieldset>
      {input("title", t.title)}
      {v.type === "organisation" ? input("taxpayerId", t.taxpayerId) : null}
      {input("email", t.email, "email", t.emailHint)}
      <ErrorAlert message={error} />
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t.save}
        </button>
        {"orderId" in post ? (
          <button
            type="button"
            className="btn"
            disabled={busy}
            onClick={() => void send({ orderId: post.orderId, skip: true })}
          >
            {t.skip}
          </button>
        ) : null}
      </div>
    </form>
  );
}
