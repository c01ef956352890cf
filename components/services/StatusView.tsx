"use client";

import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import Link from "@/components/Link";
import type { Locale } from "@/lib/errors";
import type { Messages } from "@/lib/messages";
import { apiPost } from "@/lib/api/client";
import type { PostEndpoints } from "@/lib/api/endpoints";
import type { CertificateStatusResponse as CertificateStatus } from "@/lib/api/services";
import { assistantClient, problemText } from "./assistant";
import { KeyPicker, type KeyChoice } from "./KeyPicker";
import styles from "./services.module.css";
import { fill, formatDateTime } from "@/lib/messages/format";

interface Props {
  assistantUrl: string;
  locale: Locale;
  t: Messages["services"];
}

const BADGE: Record<CertificateStatus["state"], string> = {
  valid: `badge-ok ${styles.badgeOk}`,
  renewable: "badge-warn",
  expired: "badge-err",
  revoked: "badge-err",
  superseded: "badge-muted",
};

export function StatusView({ assistantUrl, locale, t }: Props) {
  const client = useMemo(() => assistantClient(assistantUrl, locale), [assistantUrl, locale]);
  const [mode, setMode] = useState<"key" | "serial">("key");
  const [chosen, setChosen] = useState<KeyChoice | null>(null);
  const [serial, setSerial] = useState("");
  const [result, setResult] = useState<CertificateStatus | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function query(body: PostEndpoints["/api/services/status"]["body"]) {
    setBusy(true);
    setProblem(null);
    setResult(null);
    try {
      setResult(await apiPost("/api/services/status", body));
    } catch (e) {
      setProblem(problemText(e, locale));
    } finally {
      setBusy(false);
    }
  }

  function onChoose(choice: KeyChoice) {
    setChosen(choice);
    void query({ certificate: choice.certificate.der });
  }

  function onSerial(e: FormEvent) {
    e.preventDefault();
    void query({ serial });
  }

  const s = t.status;
  return (
    <div className="stack">
      <div className="actions" role="group" aria-label={s.title}>
        <button
          type="button"
          className={`btn${mode === "key" ? " btn-primary" : ""}`}
          aria-pressed={mode === "key"}
          onClick={() => setMode("key")}
        >
          {s.byKey}
        </button>
        <button
          type="button"
          className={`btn${mode === "serial" ? " btn-primary" : ""}`}
          aria-pressed={mode === "serial"}
          onClick={() => setMode("serial")}
        >
          {s.bySerial}
        </button>
      </div>
      <section className="card">
        {mode === "key" ? (
          <KeyPicker client={client} locale={locale} t={t.key} onChoose={onChoose} chosen={chosen} />
        ) : (
          <form onSubmit={onSerial} noValidate>
            <div className="field">
              <label htmlFor="serial">{s.serialLabel}</label>
              <input
                id="serial"
                name="serial"
                className="mono"
                value={serial}
                onChange={(e) => setSerial(e.target.value)}
                autoComplete="off"
                spellCheck={false}
                aria-describedby="serial-hint"
                required
              />
              <span id="serial-hint" className="field-hint">
                {s.serialHint}
              </span>
            </div>
            <button type="submit" className="btn btn-primary" disabled={busy || serial.trim() === ""}>
              {s.query}
            </button>
          </form>
        )}
      </section>
      <div aria-live="polite">
        {busy && <p className="muted">{s.querying}</p>}
        {problem && (
          <div className="alert alert-err" role="alert">
            {problem}
          </div>
        )}
        {result && <StatusResult result={result} locale={locale} t={s} reasons={t.revoke.reasons} />}
      </div>
    </div>
  );
}

function renewalText(r: CertificateStatus, s: Messages["services"]["status"], locale: Locale): string {
  if (r.renewal.renewable) return fill(s.renewableNow, { closesAt: formatDateTime(r.renewal.closesAt, locale) });
  switch (r.renewal.blockedBy) {
    case "RENEWAL_TOO_EARLY":
      return fill(s.renewableFrom, { opensAt: formatDateTime(r.renewal.opensAt!, locale) });
    case "RENEWAL_EXPIRED":
      return s.renewExpired;
    case "CERT_REVOKED":
      return s.renewRevoked;
    case "CERT_SUPERSEDED":
      return s.renewSuperseded;
    default:
      return s.renewNot;
  }
}

function StatusResult({
  result: r,
  locale,
  t: s,
  reasons,
}: {
  result: CertificateStatus;
  locale: Locale;
  t: Messages["services"]["status"];
  reasons: Messages["services"]["revoke"]["reasons"];
}) {
  const ref = useRef<HTMLElement>(null);
  // the result sits below a long list of certificates: bring it into view
  useEffect(() => ref.current?.scrollIntoView({ block: "nearest" }), [r]);
  const reason =
    r.revocationReason && r.revocationReason in reasons
      ? reasons[r.revocationReason as keyof typeof reasons].title
      : r.revocationReason;
  return (
    <section ref={ref} className="card" aria-labelledby="status-result" data-state={r.state}>
      <h2 id="status-result">{s.result}</h2>
      <dl className="kv">
        <dt>{s.fields.state}</dt>
        <dd>
          <span className={`badge ${BADGE[r.state]}`} data-testid="status-state">
            {s.states[r.state]}
          </span>
        </dd>
        {r.subject && (
          <>
            <dt>{s.fields.holder}</dt>
            <dd>{r.subject.holderName}</dd>
            <dt>{s.fields.subject}</dt>
            <dd className="mono">{r.subject.subjectDn}</dd>
          </>
        )}
        <dt>{s.fields.serial}</dt>
        <dd className="mono">{r.serial}</dd>
        <dt>{s.fields.notBefore}</dt>
        <dd>{formatDateTime(r.notBefore, locale)}</dd>
        <dt>{s.fields.notAfter}</dt>
        <dd>{formatDateTime(r.notAfter, locale)}</dd>
        <dt>{s.fields.issuer}</dt>
        <dd className="mono">{r.issuerDn}</dd>
        {r.revokedAt && (
          <>
            <dt>{s.fields.revokedAt}</dt>
            <dd>{formatDateTime(r.revokedAt, locale)}</dd>
            <dt>{s.fields.revocationReason}</dt>
            <dd>{reason ?? "—"}</dd>
          </>
        )}
        {r.successor && (
          <>
            <dt>{s.fields.successor}</dt>
            <dd>
              {fill(s.successorText, {
                serial: r.successor.serial,
                notAfter: formatDateTime(r.successor.notAfter, locale),
              })}
            </dd>
          </>
        )}
        <dt>{s.fields.renewal}</dt>
        <dd data-testid="status-renewal">
          {renewalText(r, s, locale)} {r.renewal.renewable && !r.openOrder && <Link href="/renew">{s.goRenew}</Link>}
        </dd>
        {r.openOrder && (
          <>
            <dt>{s.fields.openOrder}</dt>
            <dd>
              {fill(s.orderOpen, { state: s.orderStates[r.openOrder.state] })}{" "}
              <Link href={r.openOrder.resumeUrl}>{s.resume}</Link>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}
