"use client";

import { useMemo, useState, type FormEvent } from "react";
import Link from "@/components/Link";
import type { Locale } from "@/lib/errors";
import type { Messages } from "@/lib/messages";
import { apiPost } from "@/lib/api/client";
import type { RevokedResponse } from "@/lib/api/services";
import { assistantClient, problemText } from "./assistant";
import { KeyPicker, type KeyChoice } from "./KeyPicker";
import { PinField } from "./PinField";
import { Steps } from "./Steps";
import styles from "./services.module.css";
import { fill, formatDateTime } from "@/lib/messages/format";

type Reason = keyof Messages["services"]["revoke"]["reasons"];

interface Props {
  assistantUrl: string;
  locale: Locale;
  t: Messages["services"];
}

/** Choose the certificate, the reason, then confirm with the PIN: the key signs a `revoke` challenge. */
export function RevokeFlow({ assistantUrl, locale, t }: Props) {
  const r = t.revoke;
  const client = useMemo(() => assistantClient(assistantUrl, locale), [assistantUrl, locale]);
  const [step, setStep] = useState(0);
  const [chosen, setChosen] = useState<KeyChoice | null>(null);
  const [reason, setReason] = useState<Reason | null>(null);
  const [understood, setUnderstood] = useState(false);
  const [pin, setPin] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<RevokedResponse | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!chosen || !reason) return;
    setBusy(true);
    setProblem(null);
    try {
      const { challenge } = await apiPost("/api/services/revoke/challenge", {
        certificate: chosen.certificate.der,
      });
      const signed = await client.sign({ tokenId: chosen.token.id, certId: chosen.certificate.id, pin, challenge });
      setDone(
        await apiPost("/api/services/revoke", {
          challenge,
          signature: signed.signature,
          reason,
          confirmed: understood,
        }),
      );
      setStep(3);
    } catch (err) {
      setProblem(problemText(err, locale));
    } finally {
      setPin("");
      setBusy(false);
    }
  }

  if (done) {
    return (
      <section className="card" aria-labelledby="revoke-done">
        <div className={`alert alert-ok ${styles.okText}`} role="status">
          <h2 id="revoke-done">{done.pending ? r.pendingTitle : r.done}</h2>
          <p>
            {fill(done.pending ? r.pendingText : r.doneText, {
              serial: done.serial,
              revokedAt: formatDateTime(done.revokedAt, locale),
              reason: r.reasons[done.reason].title,
            })}
          </p>
          {done.mailed && <p>{done.pending ? r.pendingMailed : r.doneMailed}</p>}
        </div>
        <Link className="btn" href="/status">
          {r.checkStatus}
        </Link>
      </section>
    );
  }

  return (
    <div className="stack">
      <Steps labels={r.steps} current={step} />
      {step === 0 && (
        <section className="card">
          <KeyPicker
            client={client}
            locale={locale}
            t={t.key}
            chosen={chosen}
            onChoose={(c) => {
              setChosen(c);
              setStep(1);
            }}
          />
        </section>
      )}
      {step === 1 && chosen && (
        <section className="card">
          <fieldset className={styles.fieldset}>
            <legend className={styles.legend}>{r.reasonLegend}</legend>
            {(Object.keys(r.reasons) as Reason[]).map((key) => (
              <label key={key} className={styles.choice}>
                <input
                  type="radio"
                  name="reason"
                  value={key}
                  checked={reason === key}
                  onChange={() => setReason(key)}
                />{" "}
                <strong>{r.reasons[key].title}</strong>
                <span className={`field-hint ${styles.choiceHint}`}>{r.reasons[key].desc}</span>
              </label>
            ))}
          </fieldset>
          <div className="actions">
            <button type="button" className="btn" onClick={() => setStep(0)}>
              {t.key.choose}
            </button>
            <button type="button" className="btn btn-primary" disabled={!reason} onClick={() => setStep(2)}>
              {r.steps[2]}
            </button>
          </div>
        </section>
      )}
      {step === 2 && chosen && reason && (
        <form className="card" onSubmit={submit} noValidate>
          <div className="alert alert-err" role="note">
            <h2>{r.warningTitle}</h2>
            <p>{fill(r.warning, { name: chosen.certificate.subjectCN, serial: chosen.certificate.serial })}</p>
            <p className="small">
              <strong>{r.reasons[reason].title}</strong>
            </p>
          </div>
          <PinField label={r.pinLabel} hint={r.pinHint} value={pin} onChange={setPin} />
          <label className={styles.choice}>
            <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />{" "}
            {r.confirmCheck}
          </label>
          {problem && (
            <div className="alert alert-err" role="alert">
              {problem}
            </div>
          )}
          <div className="actions">
            <button type="button" className="btn" onClick={() => setStep(1)} disabled={busy}>
              {r.steps[1]}
            </button>
            <button type="submit" className="btn btn-danger" disabled={busy || !understood || pin.length === 0}>
              {busy ? r.working : r.submit}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
