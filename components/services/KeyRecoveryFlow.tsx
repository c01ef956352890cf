"use client";

import { useMemo, useState, type FormEvent } from "react";
import type { Locale } from "@/lib/errors";
import type { Messages } from "@/lib/messages";
import { apiPost } from "@/lib/api/client";
import type { KeyRecoveryStatusResponse } from "@/lib/api/kmc";
import { assistantClient, problemText } from "./assistant";
import { KeyPicker, type KeyChoice } from "./KeyPicker";
import { PinField } from "./PinField";
import { Steps } from "./Steps";
import Link from "@/components/Link";
import styles from "./services.module.css";
import own from "./key-recovery.module.css";
import { fill, formatDate, formatDateTime } from "@/lib/messages/format";

type Key = KeyRecoveryStatusResponse["keys"][number];
type Reason = keyof Messages["keyRecovery"]["reasons"];

interface Props {
  assistantUrl: string;
  locale: Locale;
  t: Messages["services"];
  r: Messages["keyRecovery"];
}

/**
 * 加密密钥恢复: choose the SM2 certificate on the key, enter the PIN (it stays in this page only and signs a fresh
 * login challenge for every call), see the escrowed encryption keys with their request state, ask for one, and once two
 * officers approved, import the envelope into the key through the certificate assistant.
 */
export function KeyRecoveryFlow({ assistantUrl, locale, t, r }: Props) {
  const client = useMemo(() => assistantClient(assistantUrl, locale), [assistantUrl, locale]);
  const [step, setStep] = useState(0);
  const [chosen, setChosen] = useState<KeyChoice | null>(null);
  const [pin, setPin] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [reasons, setReasons] = useState<Record<string, Reason>>({});
  const [done, setDone] = useState<string | null>(null);

  function choose(c: KeyChoice) {
    setChosen(c);
    setKeys(null);
    setProblem(null);
    setStep(1);
  }

  async function proof(c: KeyChoice) {
    const { challenge } = await apiPost("/api/renew/challenge", { serial: c.certificate.serial });
    const { signature } = await client.sign({ tokenId: c.token.id, certId: c.certificate.id, pin, challenge });
    return { challenge, signature };
  }

  async function run(what: string, fn: (c: KeyChoice) => Promise<void>) {
    if (!chosen) return;
    setBusy(what);
    setProblem(null);
    setNotice(null);
    try {
      await fn(chosen);
    } catch (err) {
      setProblem(problemText(err, locale));
    } finally {
      setBusy(null);
    }
  }

  const refresh = (c: KeyChoice) =>
    proof(c)
      .then((p) => apiPost("/api/services/key-recovery/status", p))
      .then((s) => setKeys(s.keys));

  function query(e: FormEvent) {
    e.preventDefault();
    void run("query", async (c) => {
      await refresh(c);
      setStep(2);
    });
  }

  const ask = (serial: string) =>
    run(serial, async (c) => {
      await apiPost("/api/services/key-recovery/request", { ...(await proof(c)), serial, reason: reasons[serial]! });
      await refresh(c);
      setNotice(r.asked);
    });

  const importKey = (recoveryId: string) =>
    run(recoveryId, async (c) => {
      const delivered = await apiPost("/api/services/key-recovery", { recoveryId, ...(await proof(c)) });
      await client.importKey({
        tokenId: c.token.id,
        certId: c.certificate.id,
        pin,
        envelope: delivered.envelope,
        certificate: delivered.certificate,
      });
      setPin("");
      setDone(delivered.serial);
    });

  if (done) {
    return (
      <section className="card" aria-labelledby="recover-done">
        <div className={`alert alert-ok ${styles.okText}`} role="status">
          <h2 id="recover-done">{r.done}</h2>
          <p className={own.serial}>{fill(r.doneText, { serial: done })}</p>
        </div>
        <Link className="btn" href="/">
          {r.restart}
        </Link>
      </section>
    );
  }

  const onToken = chosen?.certificate.encryption?.serial;
  const stateText = (k: Key) =>
    k.recovery ? fill(r.states[k.recovery.state], { approvals: k.recovery.approvals }) : r.states.none;

  return (
    <div className="stack">
      <Steps labels={r.steps} current={step} />
      {step === 0 && (
        <section className="card">
          <KeyPicker client={client} locale={locale} t={t.key} chosen={chosen} onChoose={choose} />
        </section>
      )}
      {step === 1 && chosen && (
        <form className="card" onSubmit={query} noValidate>
          <p>
            <strong>{chosen.certificate.subjectCN}</strong>{" "}
            <span className="small muted">
              {t.key.serial} <span className="mono">{chosen.certificate.serial}</span>
            </span>
          </p>
          <PinField label={r.pinLabel} hint={r.pinHint} value={pin} onChange={setPin} />
          {problem && (
            <div className="alert alert-err" role="alert">
              {problem}
            </div>
          )}
          <div className="actions">
            <button type="button" className="btn" onClick={() => setStep(0)} disabled={busy !== null}>
              {t.key.choose}
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy !== null || pin.length === 0}>
              {busy ? r.querying : r.query}
            </button>
          </div>
        </form>
      )}
      {step === 2 && chosen && keys && (
        <section className="card" aria-labelledby="keys-title">
          <div className="section-title">
            <h2 id="keys-title">{r.keysTitle}</h2>
            <button
              type="button"
              className={`btn ${own.noWrap}`}
              onClick={() => void run("refresh", refresh)}
              disabled={busy !== null}
            >
              {busy === "refresh" ? r.working : r.refresh}
            </button>
          </div>
          {notice && (
            <div className={`alert alert-ok ${styles.okText}`} role="status">
              {notice}
            </div>
          )}
          {problem && (
            <div className="alert alert-err" role="alert">
              {problem}
            </div>
          )}
          <ul className={own.entries}>
            {keys.map((k) => (
              <li key={k.serial} className={own.entry} data-testid="escrowed-key" data-serial={k.serial}>
                <p>
                  {r.serial} <span className={`mono ${own.serial}`}>{k.serial}</span>{" "}
                  {k.current && <span className="badge">{r.current}</span>}
                </p>
                <p className="small muted">
                  {r.validity} {formatDate(k.notBefore, locale)} – {formatDate(k.notAfter, locale)} ·{" "}
                  {r.certStatus[k.status] ?? k.status}
                </p>
                <p data-testid="recovery-state">
                  <strong>{stateText(k)}</strong>
                  {k.recovery && (
                    <span className="small muted">
                      {" "}
                      · {fill(r.requestedAt, { at: formatDateTime(k.recovery.createdAt, locale) })}
                    </span>
                  )}
                </p>
                {k.recovery?.state === "approved" ? (
                  <>
                    {onToken && onToken !== k.serial && (
                      <p className="alert alert-warn small">{fill(r.replaceWarning, { serial: onToken })}</p>
                    )}
                    <button
                      type="button"
                      className="btn btn-primary"
                      disabled={busy !== null}
                      onClick={() => void importKey(k.recovery!.id)}
                    >
                      {busy === k.recovery.id ? r.importing : r.import}
                    </button>
                  </>
                ) : !k.recovery || k.recovery.state === "rejected" || k.recovery.state === "delivered" ? (
                  <fieldset className={styles.fieldset}>
                    <legend className={styles.legend}>{r.reasonLegend}</legend>
                    {(Object.keys(r.reasons) as Reason[]).map((reason) => (
                      <label key={reason} className={styles.choice}>
                        <input
                          type="radio"
                          name={`reason-${k.serial}`}
                          value={reason}
                          checked={reasons[k.serial] === reason}
                          onChange={() => setReasons((all) => ({ ...all, [k.serial]: reason }))}
                        />{" "}
                        {r.reasons[reason]}
                      </label>
                    ))}
                    <button
                      type="button"
                      className="btn btn-primary"
                      disabled={busy !== null || !reasons[k.serial]}
                      onClick={() => void ask(k.serial)}
                    >
                      {busy === k.serial ? r.asking : k.recovery ? r.askAgain : r.ask}
                    </button>
                  </fieldset>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
