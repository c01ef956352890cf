"use client";

import { useCallback, useEffect, useMemo, useState, type FormEvent } from "react";
import type { Locale } from "@/lib/errors";
import { AssistantError } from "@/lib/token/client";
import type { Messages } from "@/lib/messages";
import { ApiError, apiGet, apiPost } from "@/lib/api/client";
import type { SoPinsResponse, UnlockStartedResponse } from "@/lib/api/services";
import { assistantClient, errorCodeOf, problemText } from "./assistant";
import { KeyPicker, type KeyChoice } from "./KeyPicker";
import { Steps } from "./Steps";
import styles from "./services.module.css";
import { fill } from "@/lib/messages/format";

interface Props {
  assistantUrl: string;
  locale: Locale;
  t: Messages["services"];
}

/** The assistant's own rule for a user PIN (DOMAIN rule 5: at most 8 characters). */
const PIN_RULE = /^[\x20-\x7e]{4,8}$/;

/** Certificate → ID number + captcha (code sent) → code → new PIN twice → SO unlock through the assistant → confirm. */
export function UnlockFlow({ assistantUrl, locale, t }: Props) {
  const u = t.unlock;
  const client = useMemo(() => assistantClient(assistantUrl, locale), [assistantUrl, locale]);
  const [step, setStep] = useState(0);
  const [chosen, setChosen] = useState<KeyChoice | null>(null);
  const [idNumber, setIdNumber] = useState("");
  const [captcha, setCaptcha] = useState<{ id: string; svg: string } | null>(null);
  const [captchaAnswer, setCaptchaAnswer] = useState("");
  const [started, setStarted] = useState<UnlockStartedResponse | null>(null);
  const [code, setCode] = useState("");
  const [pin, setPin] = useState("");
  const [pinAgain, setPinAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [finished, setFinished] = useState(false);

  const newCaptcha = useCallback(async () => {
    setCaptchaAnswer("");
    try {
      setCaptcha(await apiGet("/api/services/captcha"));
    } catch (e) {
      setProblem(problemText(e, locale));
    }
  }, [locale]);

  useEffect(() => {
    if (step === 1 && !captcha) void newCaptcha();
  }, [step, captcha, newCaptcha]);

  function restart() {
    setStep(0);
    setStarted(null);
    setCode("");
    setPin("");
    setPinAgain("");
    setProblem(null);
    setCaptcha(null);
  }

  async function sendCode(e: FormEvent) {
    e.preventDefault();
    if (!chosen || !captcha) return;
    setBusy(true);
    setProblem(null);
    try {
      setStarted(
        await apiPost("/api/services/unlock/start", {
          certificate: chosen.certificate.der,
          tokenSerial: chosen.token.serial,
          idNumber,
          captchaId: captcha.id,
          captchaAnswer,
        }),
      );
      setStep(2);
    } catch (err) {
      setProblem(problemText(err, locale));
      // a captcha is used up by every answer, right or wrong
      void newCaptcha();
    } finally {
      setBusy(false);
    }
  }

  function enterCode(e: FormEvent) {
    e.preventDefault();
    setProblem(null);
    setStep(3);
  }

  async function unlock(e: FormEvent) {
    e.preventDefault();
    if (!chosen || !started) return;
    if (!PIN_RULE.test(pin)) return setProblem(u.pinInvalid);
    if (pin !== pinAgain) return setProblem(u.pinMismatch);
    setBusy(true);
    setProblem(null);
    const ids = { requestId: started.requestId, code: code.trim() };
    let pins: SoPinsResponse;
    try {
      pins = await apiPost("/api/services/unlock/release", ids);
    } catch (err) {
      setProblem(problemText(err, locale));
      setBusy(false);
      // a wrong code can be typed again; anything else needs a new code
      if (err instanceof ApiError && err.code === "UNLOCK_CODE_INVALID") setStep(2);
      return;
    }
    try {
      let usedAlternative = false;
      try {
        await client.unlock({ tokenId: chosen.token.id, soPin: pins.soPin, newPin: pin, newSoPin: pins.newSoPin });
      } catch (err) {
        if (!(err instanceof AssistantError && err.code === "SO_PIN_INCORRECT" && pins.alternative)) throw err;
        await client.unlock({
          tokenId: chosen.token.id,
          soPin: pins.alternative.soPin,
          newPin: pin,
          newSoPin: pins.alternative.newSoPin,
        });
        usedAlternative = true;
      }
      await apiPost("/api/services/unlock/confirm", { ...ids, usedAlternative });
      setFinished(true);
      setStep(4);
    } catch (err) {
      setProblem(fill(u.failed, { message: problemText(err, locale) }));
      await apiPost("/api/services/unlock/report", { ...ids, errorCode: errorCodeOf(err) }).catch(() => undefined);
    } finally {
      setPin("");
      setPinAgain("");
      setBusy(false);
    }
  }

  if (finished) {
    return (
      <section className="card">
        <div className={`alert alert-ok ${styles.okText}`} role="status">
          <h2>{u.done}</h2>
          <p>{u.doneText}</p>
        </div>
      </section>
    );
  }

  const alert = problem && (
    <div className="alert alert-err" role="alert">
      {problem}
    </div>
  );
  const restartButton = (
    <button type="button" className="btn" onClick={restart}>
      {u.restart}
    </button>
  );

  return (
    <div className="stack">
      <Steps labels={u.steps} current={Math.min(step, 3)} />
      {step === 0 && (
        <section className="card">
          <KeyPicker
            client={client}
            locale={locale}
            t={t.key}
            chosen={chosen}
            onChoose={(c) => {
              setChosen(c);
              setProblem(null);
              setStep(1);
            }}
          />
        </section>
      )}
      {step === 1 && chosen && (
        <form className="card" onSubmit={sendCode} noValidate>
          <p className="small muted">
            {chosen.certificate.subjectCN} · {t.key.tokenSerial} <span className="mono">{chosen.token.serial}</span>
          </p>
          <div className="field">
            <label htmlFor="idNumber">{u.idLabel}</label>
            <input
              id="idNumber"
              value={idNumber}
              onChange={(e) => setIdNumber(e.target.value)}
              autoComplete="off"
              maxLength={32}
              aria-describedby="id-hint"
              required
            />
            <span id="id-hint" className="field-hint">
              {u.idHint}
            </span>
          </div>
          <div className="field">
            <label htmlFor="captcha">{u.captchaLabel}</label>
            <div className={styles.captcha}>
              {/* the SVG comes from our own captcha endpoint (svg-captcha: paths only, no script) */}
              <div
                className={styles.captchaImage}
                role="img"
                aria-label={u.captchaAlt}
                dangerouslySetInnerHTML={{ __html: captcha?.svg ?? "" }}
              />
              <button type="button" className="btn" onClick={() => void newCaptcha()}>
                {u.captchaRefresh}
              </button>
            </div>
            <input
              id="captcha"
              value={captchaAnswer}
              onChange={(e) => setCaptchaAnswer(e.target.value)}
              autoComplete="off"
              maxLength={32}
              required
            />
          </div>
          {alert}
          <div className="actions">
            {restartButton}
            <button
              type="submit"
              className="btn btn-primary"
              disabled={busy || !idNumber.trim() || !captchaAnswer.trim() || !captcha}
            >
              {u.sendCode}
            </button>
          </div>
        </form>
      )}
      {step === 2 && started && (
        <form className="card" onSubmit={enterCode} noValidate>
          <div className="alert alert-info" role="status">
            {fill(u.codeSent, { to: started.sentTo.join(", "), minutes: "10" })}
          </div>
          <div className="field">
            <label htmlFor="code">{u.codeLabel}</label>
            <input
              id="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, ""))}
              required
            />
          </div>
          {alert}
          <div className="actions">
            {restartButton}
            <button type="submit" className="btn btn-primary" disabled={code.length !== 6}>
              {u.steps[3]}
            </button>
          </div>
        </form>
      )}
      {step === 3 && started && (
        <form className="card" onSubmit={unlock} noValidate>
          <div className="field">
            <label htmlFor="newPin">{u.newPin}</label>
            <input
              id="newPin"
              type="password"
              autoComplete="new-password"
              maxLength={8}
              value={pin}
              onChange={(e) => setPin(e.target.value)}
              aria-describedby="pin-rule"
              required
            />
            <span id="pin-rule" className="field-hint">
              {u.pinRule}
            </span>
          </div>
          <div className="field">
            <label htmlFor="newPinAgain">{u.newPinAgain}</label>
            <input
              id="newPinAgain"
              type="password"
              autoComplete="new-password"
              maxLength={8}
              value={pinAgain}
              onChange={(e) => setPinAgain(e.target.value)}
              required
            />
          </div>
          {alert}
          <div className="actions">
            <button type="button" className="btn" onClick={restart} disabled={busy}>
              {u.restart}
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy || !pin || !pinAgain}>
              {busy ? u.working : u.submit}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
