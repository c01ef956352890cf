"use client";

import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { useStepNav } from "@/components/StepNav";
import { stepPathOf } from "../_lib/steps";
import { AssistantError, createAssistantClient, type AssistantClient } from "@/lib/token/client";
import type { CertificateSummary, TokenSummary } from "@/lib/token/types";
import type { Locale } from "@/lib/errors";
import type { Messages } from "@/lib/messages";
import { ApiError, apiPost } from "@/lib/api/client";
import type { RenewabilityResponse } from "@/lib/api/renew";
import styles from "../renew.module.css";
import { fill, formatDateTime } from "@/lib/messages/format";
import { ErrorAlert } from "@/components/ui/ErrorAlert";

type Phase = "detecting" | "missing" | "outdated" | "blocked" | "nokey" | "ready";

interface Choice {
  token: TokenSummary;
  cert: CertificateSummary;
}

const UNAVAILABLE: Record<string, string> = {
  RENEWAL_TOO_EARLY: "too_early",
  RENEWAL_EXPIRED: "expired",
  CERT_REVOKED: "revoked",
  CERT_UNKNOWN: "unknown",
  CERT_SUPERSEDED: "superseded",
};

const POLL_MS = 2000;

function choicesOf(tokens: TokenSummary[]): Choice[] {
  return tokens.flatMap((token) => token.certificates.map((cert) => ({ token, cert })));
}

const keyOf = (c: Choice) => `${c.token.id}/${c.cert.id}`;

type Mark = RenewabilityResponse["items"][number];

/** 可在线更新 / 未到更新时间（起始日期）/ 已过期 / 已注销: what 提交 would answer, shown before it. */
function MarkText({ t, mark, locale }: { t: Messages["wizard"]; mark: Mark | undefined; locale: Locale }) {
  if (!mark) return null;
  const text = fill(t.key.status[mark.status], { date: mark.opensAt ? formatDateTime(mark.opensAt, locale) : "" });
  const ok = mark.status === "open" || mark.status === "resume";
  return (
    <span className={`${styles.mark} ${ok ? styles.markOk : styles.markNo}`} data-renewability={mark.status}>
      {text}
    </span>
  );
}

export function InsertKey({
  t,
  locale,
  assistantUrl,
  downloadHref,
  errorTexts,
}: {
  t: Messages["wizard"];
  locale: Locale;
  assistantUrl: string;
  /** the installer (or the download centre while it is not built) */
  downloadHref: string;
  errorTexts: Record<string, string>;
}) {
  const go = useStepNav();
  const client = useRef<AssistantClient | null>(null);
  const [phase, setPhase] = useState<Phase>("detecting");
  const [blockedText, setBlockedText] = useState("");
  const [choices, setChoices] = useState<Choice[]>([]);
  const [selected, setSelected] = useState<string>("");
  const [pin, setPin] = useState("");
  const [pinError, setPinError] = useState("");
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);
  const [marks, setMarks] = useState<Record<string, Mark>>({});

  const poll = useCallback(async () => {
    client.current ??= createAssistantClient({ baseUrl: assistantUrl, locale });
    try {
      const found = choicesOf(await client.current.tokens());
      setChoices(found);
      setPhase(found.length ? "ready" : "nokey");
      setSelected((s) => (found.some((c) => keyOf(c) === s) ? s : found[0] ? keyOf(found[0]) : ""));
    } catch (e) {
      if (e instanceof AssistantError && (e.code === "LNA_DENIED" || e.code === "ASSISTANT_OUTDATED")) {
        // an outdated assistant gets the download and the install notes, like a missing one; polling goes on,
        // so the page continues by itself once the new version answers /v1/info
        setBlockedText(fill(errorTexts[e.code] ?? e.code, e.details));
        setPhase(e.code === "ASSISTANT_OUTDATED" ? "outdated" : "blocked");
      } else {
        setPhase("missing");
      }
    }
  }, [assistantUrl, locale, errorTexts]);

  useEffect(() => {
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => clearInterval(timer);
  }, [poll]);

  const serials = [...new Set(choices.map((c) => c.cert.serial))].sort().slice(0, 64).join(",");
  useEffect(() => {
    if (!serials) return;
    let live = true;
    apiPost("/api/renew/renewability", { serials: serials.split(",") }).then(
      (r) => {
        if (live) setMarks(Object.fromEntries(r.items.map((i) => [i.serial, i])));
      },
      // without the marks the list still works: 提交 says why a certificate cannot be renewed
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [serials]);

  const choice = choices.find((c) => keyOf(c) === selected);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setPinError("");
    setFormError("");
    if (!choice || !client.current) return;
    if (!pin) {
      setPinError(t.key.pinRequired);
      return;
    }
    setBusy(true);
    try {
      const { challenge } = await apiPost("/api/renew/challenge", {
        serial: choice.cert.serial,
      });
      const signed = await client.current.sign({ tokenId: choice.token.id, certId: choice.cert.id, pin, challenge });
      const login = await apiPost("/api/renew/login", { challenge, signature: signed.signature });
      go(stepPathOf(login.step) ?? "/renew/details");
    } catch (err) {
      setBusy(false);
      if (err instanceof AssistantError) {
        const text = fill(errorTexts[err.code] ?? err.code, err.details);
        if (
          err.code === "PIN_INCORRECT" ||
          err.code === "PIN_INCORRECT_UNCOUNTED" ||
          err.code === "PIN_INVALID" ||
          err.code === "PIN_LOCKED"
        ) {
          setPinError(text);
          setPin("");
        } else setFormError(text);
        return;
      }
      if (err instanceof ApiError && UNAVAILABLE[err.code]) {
        const at = (err.details.opensAt ?? err.details.notAfter) as string | undefined;
        const q = new URLSearchParams({ reason: UNAVAILABLE[err.code] });
        if (at) q.set("at", at);
        q.set("exp", choice.cert.notAfter);
        go(`/renew/unavailable?${q.toString()}`);
        return;
      }
      setFormError(err instanceof Error ? err.message : String(err));
    }
  }

  if (phase === "detecting") {
    return (
      <p className="muted" role="status">
        {t.key.detecting}
      </p>
    );
  }
  if (phase === "missing" || phase === "outdated") {
    return (
      <div className="alert alert-warn" role="status" data-testid={`assistant-${phase}`}>
        <h3>{phase === "missing" ? t.key.assistantMissing : t.key.assistantOutdated}</h3>
        <p>{phase === "missing" ? t.key.assistantMissingHelp : blockedText}</p>
        <ol className={styles.install}>
          {t.key.installSteps.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ol>
        <a className="btn btn-primary" href={downloadHref} download={downloadHref !== "/downloads" || undefined}>
          {t.key.download}
        </a>
      </div>
    );
  }
  if (phase === "blocked") {
    return (
      <div className="alert alert-err" role="alert">
        {blockedText}
      </div>
    );
  }
  if (phase === "nokey") {
    return (
      <div className="alert alert-info" role="status" data-testid="no-key">
        <p className={styles.waiting}>
          <span className={styles.spinner} aria-hidden="true" /> {t.key.waitingForKey}
        </p>
        <p className="small">{t.key.noKeyHelp}</p>
      </div>
    );
  }
  return (
    <form onSubmit={submit} noValidate className={styles.keyForm}>
      {choices.length > 1 ? (
        <fieldset className={styles.choices}>
          <legend>{t.key.chooseCert}</legend>
          {choices.map((c) => (
            <label key={keyOf(c)} className={styles.choice}>
              <input
                type="radio"
                name="cert"
                value={keyOf(c)}
                checked={selected === keyOf(c)}
                onChange={() => setSelected(keyOf(c))}
              />
              <span>
                <strong>{c.cert.subjectCN}</strong>
                <span className="small muted">
                  {" "}
                  · {t.key.validUntil} {formatDateTime(c.cert.notAfter, locale)}
                </span>{" "}
                <MarkText t={t} mark={marks[c.cert.serial]} locale={locale} />
              </span>
            </label>
          ))}
        </fieldset>
      ) : null}
      {choice ? (
        <dl className="kv" data-testid="cert-name">
          <dt>{t.key.certName}</dt>
          <dd>
            <strong>{choice.cert.subjectCN}</strong>
          </dd>
          <dt>{t.key.validUntil}</dt>
          <dd>{formatDateTime(choice.cert.notAfter, locale)}</dd>
          <dt>{t.key.keyLabel}</dt>
          <dd>{choice.token.label}</dd>
          {marks[choice.cert.serial] ? (
            <>
              <dt>{t.key.renewability}</dt>
              <dd data-testid="cert-renewability">
                <MarkText t={t} mark={marks[choice.cert.serial]} locale={locale} />
              </dd>
            </>
          ) : null}
        </dl>
      ) : null}
      <div className={`field ${styles.pinField}${pinError ? " has-error" : ""}`}>
        <label htmlFor="pin">{t.key.pin}</label>
        <input
          id="pin"
          name="pin"
          type="password"
          autoComplete="off"
          inputMode="text"
          maxLength={8}
          value={pin}
          onChange={(e) => setPin(e.target.value)}
          aria-describedby="pin-hint pin-error"
          aria-invalid={pinError ? true : undefined}
        />
        <span id="pin-hint" className="field-hint">
          {t.key.pinHint}
        </span>
        <span id="pin-error" className="field-error" role={pinError ? "alert" : undefined}>
          {pinError}
        </span>
      </div>
      <ErrorAlert message={formError} />
      {pinError && choice?.token.pin.locked ? (
        <p>
          <a href="/unlock">{t.key.unlockLink}</a>
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? t.key.working : t.key.submit}
        </button>
      </div>
    </form>
  );
}
