"use client";

import { useEffect, useState, type FormEvent } from "react";
import { useStepNav } from "@/components/StepNav";
import { AssistantError, createAssistantClient } from "@/lib/token/client";
import type { CertificateSummary, TokenSummary } from "@/lib/token/types";
import type { Locale } from "@/lib/errors";
import type { Messages } from "@/lib/messages";
import { ApiError, apiPost } from "@/lib/api/client";
import styles from "../renew.module.css";
import { fill } from "@/lib/messages/format";

type T = Messages["wizard"]["issue"];
const STEPS = ["keygen", "request", "write", "verify"] as const;
/** the 下证 answer's install challenge can no longer be answered: a new one is asked for */
const STALE_CHALLENGE = new Set(["POP_CHALLENGE_EXPIRED", "POP_CHALLENGE_USED"]);

interface Props {
  t: T;
  locale: Locale;
  assistantUrl: string;
  orderId: string;
  csrf: string;
  oldSerial: string;
  issuedSerial: string | null;
  pinHint: string;
  errorTexts: Record<string, string>;
  /** the new key's algorithm when it is not the old key's family ("SM2": the admin moves RSA holders to SM2) */
  keyAlgorithm?: "SM2";
}

function find(tokens: TokenSummary[], serial: string | null): { token: TokenSummary; cert: CertificateSummary } | null {
  if (!serial) return null;
  for (const token of tokens) for (const cert of token.certificates) if (cert.serial === serial) return { token, cert };
  return null;
}

/**
 * 下证 on the key: new key pair and CSR on the token → the old key signs the issue challenge → the portal issues →
 * the assistant writes and reads back the certificate → the new key signs a login challenge for it and the portal
 * records the install. Every step can be
 * repeated: the token reuses its pending key and the portal returns the same certificate for it.
 */
export function IssueCert({
  t,
  locale,
  assistantUrl,
  orderId,
  csrf,
  oldSerial,
  issuedSerial,
  pinHint,
  errorTexts,
  keyAlgorithm,
}: Props) {
  const go = useStepNav();
  const [pin, setPin] = useState("");
  const [step, setStep] = useState(-1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [attempted, setAttempted] = useState(false);
  /** the serial of the new certificate once the portal issued it (before this visit, or during this run) */
  const [issued, setIssued] = useState<string | null>(issuedSerial);

  // leaving (reload, close, back) mid-下证 could leave the new certificate off the key: the browser asks first
  useEffect(() => {
    if (!busy) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = t.leaveWarning;
      return t.leaveWarning;
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [busy, t.leaveWarning]);

  async function run(e: FormEvent) {
    e.preventDefault();
    setError("");
    setBusy(true);
    setAttempted(true);
    try {
      const client = createAssistantClient({ baseUrl: assistantUrl, locale });
      const tokens = await client.requireTokens();
      let newSerial = issuedSerial;
      let installChallenge: string | undefined;
      const installed = find(tokens, issuedSerial);
      const old = find(tokens, oldSerial);
      if (!old && !installed) throw new Error(t.noKey);
      if (old) {
        const { token, cert } = old;
        setStep(0);
        const kg = await client.keygen({ tokenId: token.id, certId: cert.id, pin, algorithm: keyAlgorithm });
        setStep(1);
        const { challenge } = await apiPost("/api/renew/issue-challenge", { orderId, csr: kg.csr }, { csrf });
        const signed = await client.sign({ tokenId: token.id, certId: cert.id, pin, challenge });
        const issued = await apiPost(
          "/api/renew/issue",
          { orderId, csr: kg.csr, challenge, signature: signed.signature },
          { csrf },
        );
        newSerial = issued.certificate.serial;
        installChallenge = issued.install?.challenge;
        setIssued(newSerial);
        setStep(2);
        // dual certificates (SM2): the encryption key comes enveloped to the new key, imported with the certificates
        await client.install({
          tokenId: token.id,
          pin,
          pkcs7: issued.pkcs7,
          ...(issued.encryption ? { envelope: issued.encryption.envelope } : {}),
        });
      }
      setStep(3);
      const placed = find(await client.tokens(), newSerial);
      if (!placed) throw new AssistantError("TOKEN_OPERATION_FAILED", { reason: "read-back" });
      // the new key signs a login challenge for the new certificate: the portal's proof that both are on the key (the
      // 下证 answer brought one; a new one is asked for when it did not, or when it can no longer be answered)
      const confirm = async (challenge: string) => {
        const signedByNew = await client.sign({ tokenId: placed.token.id, certId: placed.cert.id, pin, challenge });
        await apiPost("/api/renew/installed", { orderId, challenge, signature: signedByNew.signature }, { csrf });
      };
      const fresh = async () =>
        (await apiPost("/api/renew/challenge", { serial: placed.cert.serial }, { csrf })).challenge;
      try {
        await confirm(installChallenge ?? (await fresh()));
      } catch (err) {
        if (!installChallenge || !(err instanceof ApiError) || !STALE_CHALLENGE.has(err.code)) throw err;
        await confirm(await fresh());
      }
      setStep(4);
      setBusy(false);
      go("/renew/done");
    } catch (err) {
      setBusy(false);
      setError(
        err instanceof AssistantError
          ? fill(errorTexts[err.code] ?? err.code, err.details)
          : err instanceof Error
            ? err.message
            : String(err),
      );
    }
  }

  const percent = step < 0 ? 0 : Math.round((step / STEPS.length) * 100);
  return (
    <form onSubmit={run} noValidate className={styles.issueForm}>
      <div className="alert alert-warn" role="note">
        {t.warning}
      </div>
      <div className="field">
        <label htmlFor="issue-pin">{t.pin}</label>
        <input
          id="issue-pin"
          type="password"
          autoComplete="off"
          maxLength={8}
          value={pin}
          onChange={(e) => setPin(e.target.value)}
          aria-describedby="issue-pin-hint"
        />
        <span className="field-hint" id="issue-pin-hint">
          {pinHint}
        </span>
      </div>
      {step >= 0 ? (
        <div className={styles.progressBox} data-testid="issue-progress">
          <div
            className="progress"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            aria-label={t.heading}
          >
            <span style={{ width: `${percent}%` }} />
          </div>
          <ol className={styles.progressSteps}>
            {STEPS.map((s, i) => (
              <li key={s} className={i < step ? styles.stepDone : i === step && busy ? styles.stepNow : undefined}>
                {t.progress[s]}
                {i < step ? <span className={styles.srOnly}> ({t.stepDone})</span> : null}
              </li>
            ))}
          </ol>
        </div>
      ) : null}
      {issued && !error && !busy ? (
        <div className="alert alert-info" role="status" data-testid="issue-pending">
          {fill(t.issuedPending, { serial: issued })}
        </div>
      ) : null}
      {error ? (
        <div className="alert alert-err" role="alert" data-testid="issue-error">
          <strong>{t.failed}</strong>
          <p>{error}</p>
          <p className="small">{issued ? t.keptOnServer : t.nothingIssued}</p>
        </div>
      ) : null}
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={busy || !pin}>
          {(attempted || issued) && !busy ? t.retry : t.button}
        </button>
      </div>
    </form>
  );
}
