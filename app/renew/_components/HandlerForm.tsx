"use client";

import { useCallback, useEffect, useState, type FormEvent } from "react";
import { useStepNav } from "@/components/StepNav";
import type { Messages } from "@/lib/messages";
import { ApiError, apiGet, apiPost } from "@/lib/api/client";
import type { PostEndpoints } from "@/lib/api/endpoints";
import styles from "../renew.module.css";
import { ErrorAlert } from "@/components/ui/ErrorAlert";

type Field = "name" | "idType" | "idNumber" | "mobile" | "email" | "captcha";
type Values = PostEndpoints["/api/renew/handler"]["body"]["handler"];

interface Props {
  t: Messages["wizard"]["details"];
  validation: Record<string, string>;
  idTypes: { code: string; name: string }[];
  csrf: string;
  /** sessionStorage key: the values typed in this tab, so 返回修改 shows them again */
  storageKey: string;
  saved: { orderId: string; name: string; idType: string; email: string } | null;
}

const EMPTY: Values = { name: "", idType: "resident_id", idNumber: "", mobile: "", email: "" };

export function HandlerForm({ t, validation, idTypes, csrf, storageKey, saved }: Props) {
  const go = useStepNav();
  const [values, setValues] = useState<Values>(EMPTY);
  const [reenter, setReenter] = useState(false);
  const [captchaKind, setCaptchaKind] = useState<"image" | "text">("image");
  const [captcha, setCaptcha] = useState<{ id: string; svg?: string; question?: string } | null>(null);
  const [answer, setAnswer] = useState("");
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);

  const newCaptcha = useCallback(async (kind: "image" | "text") => {
    setAnswer("");
    try {
      setCaptcha(kind === "text" ? await apiGet("/api/renew/captcha/text") : await apiGet("/api/renew/captcha"));
    } catch (e) {
      setFormError(e instanceof Error ? e.message : String(e));
    }
  }, []);

  function switchCaptcha() {
    const kind = captchaKind === "image" ? "text" : "image";
    setCaptchaKind(kind);
    void newCaptcha(kind);
  }

  useEffect(() => {
    let stored: Values | null;
    try {
      stored = JSON.parse(sessionStorage.getItem(storageKey) ?? "null") as Values | null;
    } catch {
      stored = null;
    }
    if (stored) setValues({ ...EMPTY, ...stored });
    else if (saved) {
      // the order stores one of the codes the server accepted
      setValues({ ...EMPTY, name: saved.name, idType: saved.idType as Values["idType"], email: saved.email });
      setReenter(true);
    }
    void newCaptcha("image");
  }, [storageKey, saved, newCaptcha]);

  const set = (k: keyof Values) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [k]: e.target.value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!captcha) return;
    setBusy(true);
    setErrors({});
    setFormError("");
    try {
      // full-width digits (Chinese input methods) count as the digits they are
      const captchaAnswer = answer.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
      await apiPost("/api/renew/handler", { handler: values, captchaId: captcha.id, captchaAnswer }, { csrf });
      sessionStorage.setItem(storageKey, JSON.stringify(values));
      go("/renew/review");
    } catch (err) {
      setBusy(false);
      if (!(err instanceof ApiError)) {
        setFormError(String(err));
        return;
      }
      const fields = err.details.fields ?? {};
      const next: Partial<Record<Field, string>> = {};
      for (const [path, msg] of Object.entries(fields)) {
        const field = (
          path.startsWith("handler.")
            ? path.slice(8)
            : path === "captchaAnswer" || path === "captchaId"
              ? "captcha"
              : path
        ) as Field;
        next[field] = validation[msg] ?? msg;
      }
      setErrors(next);
      if (err.code === "CAPTCHA_INVALID" || err.code === "CAPTCHA_EXPIRED" || next.captcha)
        void newCaptcha(captchaKind);
      if (!Object.keys(next).length) setFormError(err.message);
    }
  }

  const field = (k: Field, label: string, input: React.ReactNode, hint?: string) => (
    <div className={`field${errors[k] ? " has-error" : ""}`}>
      <label htmlFor={`f-${k}`}>{label}</label>
      {input}
      {hint ? (
        <span className="field-hint" id={`h-${k}`}>
          {hint}
        </span>
      ) : null}
      <span className="field-error" id={`e-${k}`} data-field-error={k}>
        {errors[k] ?? ""}
      </span>
    </div>
  );
  const aria = (k: Field) => ({
    id: `f-${k}`,
    "aria-invalid": errors[k] ? true : undefined,
    "aria-describedby": k === "captcha" && captchaKind === "text" ? `q-captcha h-captcha e-${k}` : `e-${k}`,
  });

  return (
    <form onSubmit={submit} noValidate>
      {reenter ? <div className="alert alert-info small">{t.reenter}</div> : null}
      <div className="grid-2">
        {field(
          "name",
          t.handlerName,
          <input
            {...aria("name")}
            name="name"
            autoComplete="name"
            value={values.name}
            onChange={set("name")}
            maxLength={30}
          />,
        )}
        {field(
          "idType",
          t.handlerIdType,
          <select {...aria("idType")} name="idType" value={values.idType} onChange={set("idType")}>
            {idTypes.map((o) => (
              <option key={o.code} value={o.code}>
                {o.name}
              </option>
            ))}
          </select>,
        )}
        {field(
          "idNumber",
          values.idType === "resident_id" ? t.handlerIdNumberResident : t.handlerIdNumber,
          <input
            {...aria("idNumber")}
            name="idNumber"
            autoComplete="off"
            value={values.idNumber}
            onChange={set("idNumber")}
            maxLength={32}
          />,
        )}
        {field(
          "mobile",
          t.mobile,
          <input
            {...aria("mobile")}
            name="mobile"
            type="tel"
            autoComplete="tel"
            inputMode="tel"
            value={values.mobile}
            onChange={set("mobile")}
            maxLength={20}
          />,
        )}
        {field(
          "email",
          t.email,
          <input
            {...aria("email")}
            name="email"
            type="email"
            autoComplete="email"
            value={values.email}
            onChange={set("email")}
            maxLength={254}
          />,
        )}
        {field(
          "captcha",
          t.captcha,
          <>
            {captchaKind === "text" ? (
              <p
                className={styles.captchaQuestion}
                id="q-captcha"
                data-testid="captcha-question"
                data-captcha-id={captcha?.id}
                aria-live="polite"
              >
                {captcha?.question ?? ""}
              </p>
            ) : null}
            <div className={styles.captchaRow}>
              <input
                {...aria("captcha")}
                name="captcha"
                autoComplete="off"
                inputMode={captchaKind === "text" ? "numeric" : undefined}
                value={answer}
                onChange={(e) => setAnswer(e.target.value)}
                maxLength={16}
                className={styles.captchaInput}
              />
              {captchaKind === "image" ? (
                <button
                  type="button"
                  className={styles.captchaImage}
                  onClick={() => void newCaptcha("image")}
                  title={t.captchaHint}
                  aria-label={`${t.captchaAlt}: ${t.captchaRefresh}`}
                >
                  {captcha?.svg ? (
                    <img
                      src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(captcha.svg)}`}
                      alt={t.captchaAlt}
                      width={120}
                      height={42}
                      data-captcha-id={captcha.id}
                    />
                  ) : null}
                </button>
              ) : (
                <button type="button" className="btn" onClick={() => void newCaptcha("text")}>
                  {t.captchaNewQuestion}
                </button>
              )}
            </div>
            <button type="button" className={styles.linkButton} onClick={switchCaptcha}>
              {captchaKind === "image" ? t.captchaUseText : t.captchaUseImage}
            </button>
          </>,
          captchaKind === "text" ? t.captchaQuestionHint : t.captchaHint,
        )}
      </div>
      <div className={styles.optIn}>
        <input
          type="checkbox"
          id="f-notifySms"
          checked={values.notifySms ?? false}
          onChange={(e) => setValues((v) => ({ ...v, notifySms: e.target.checked }))}
        />
        <label htmlFor="f-notifySms">{t.notifySms}</label>
      </div>
      <ErrorAlert message={formError} />
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={busy || !captcha}>
          {busy ? t.saving : t.next}
        </button>
      </div>
    </form>
  );
}
