"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import type { Locale } from "@/lib/errors";
import type { Messages } from "@/lib/messages";
import { apiPost } from "@/lib/api/client";
import { assistantClient, problemText } from "@/components/services/assistant";
import { KeyPicker, type KeyChoice } from "@/components/services/KeyPicker";
import { PinField } from "@/components/services/PinField";

/** 使用单位证书登录: the key picker, the PIN, and the same signed `login` challenge as the holder's sign-in. */
export function OrgLogin({
  assistantUrl,
  locale,
  t,
  keyTexts,
}: {
  assistantUrl: string;
  locale: Locale;
  t: Messages["org"]["login"];
  keyTexts: Messages["services"]["key"];
}) {
  const router = useRouter();
  const client = useMemo(() => assistantClient(assistantUrl, locale), [assistantUrl, locale]);
  const [chosen, setChosen] = useState<KeyChoice | null>(null);
  const [pin, setPin] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!chosen) return;
    setBusy(true);
    setProblem(null);
    try {
      const { challenge } = await apiPost("/api/renew/challenge", { serial: chosen.certificate.serial });
      const signed = await client.sign({ tokenId: chosen.token.id, certId: chosen.certificate.id, pin, challenge });
      await apiPost("/api/org/login", { challenge, signature: signed.signature });
      router.refresh();
    } catch (err) {
      setProblem(problemText(err, locale));
      setBusy(false);
    } finally {
      setPin("");
    }
  }

  return (
    <section className="card stack" aria-labelledby="org-login">
      <h2 id="org-login">{t.heading}</h2>
      <p className="muted small">{t.hint}</p>
      <KeyPicker client={client} locale={locale} t={keyTexts} chosen={chosen} onChoose={setChosen} />
      {chosen && (
        <form onSubmit={submit} noValidate>
          <PinField label={t.pinLabel} value={pin} onChange={setPin} />
          {problem && (
            <div className="alert alert-err" role="alert">
              {problem}
            </div>
          )}
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={busy || !pin}>
              {busy ? t.signingIn : t.submit}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
