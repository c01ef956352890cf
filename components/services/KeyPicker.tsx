"use client";

import { useCallback, useEffect, useState } from "react";
import Link from "@/components/Link";
import type { AssistantClient } from "@/lib/token/client";
import type { CertificateSummary, TokenSummary } from "@/lib/token/types";
import type { Locale } from "@/lib/errors";
import type { Messages } from "@/lib/messages";
import { problemText } from "./assistant";
import styles from "./services.module.css";
import { formatDate } from "@/lib/messages/format";

export interface KeyChoice {
  token: TokenSummary;
  certificate: CertificateSummary;
}

interface Props {
  client: AssistantClient;
  locale: Locale;
  t: Messages["services"]["key"];
  onChoose(choice: KeyChoice): void;
  /** the certificate name of the chosen entry is shown pressed */
  chosen?: KeyChoice | null;
}

/** The certificates on the inserted keys, read through the certificate assistant without the PIN. */
export function KeyPicker({ client, locale, t, onChoose, chosen }: Props) {
  const [state, setState] = useState<{ loading: boolean; entries: KeyChoice[]; problem?: string }>({
    loading: true,
    entries: [],
  });

  const load = useCallback(async () => {
    setState({ loading: true, entries: [] });
    try {
      const tokens = await client.requireTokens();
      setState({
        loading: false,
        entries: tokens.flatMap((token) => token.certificates.map((certificate) => ({ token, certificate }))),
      });
    } catch (e) {
      setState({ loading: false, entries: [], problem: problemText(e, locale) });
    }
  }, [client, locale]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="stack" aria-busy={state.loading} aria-live="polite">
      {state.loading && <p className="muted">{t.detecting}</p>}
      {state.problem && (
        <div className="alert alert-warn" role="alert">
          <p>{state.problem}</p>
          <p className="small">
            {t.assistantHelp} <Link href="/downloads">{t.assistantLink}</Link>
          </p>
        </div>
      )}
      {!state.loading && !state.problem && state.entries.length === 0 && <p>{t.none}</p>}
      {state.entries.length > 0 && (
        <ul className="list-plain" aria-label={t.choose}>
          {state.entries.map(({ token, certificate }) => {
            const active = chosen?.token.id === token.id && chosen.certificate.id === certificate.id;
            return (
              <li key={`${token.id}/${certificate.id}`}>
                <button
                  type="button"
                  className={`btn${active ? " btn-primary" : ""}`}
                  aria-pressed={active}
                  onClick={() => onChoose({ token, certificate })}
                  data-serial={certificate.serial}
                >
                  {certificate.subjectCN}
                </button>{" "}
                <span className={`small muted ${styles.entryMeta}`}>
                  {t.serial} <span className="mono">{certificate.serial}</span> · {t.validUntil}{" "}
                  {formatDate(certificate.notAfter, locale)} · {t.tokenSerial}{" "}
                  <span className="mono">{token.serial}</span>
                </span>{" "}
                {token.pin.locked && <span className="badge badge-err">{t.pinLocked}</span>}
              </li>
            );
          })}
        </ul>
      )}
      <button type="button" className="btn" onClick={() => void load()} disabled={state.loading}>
        {t.refresh}
      </button>
    </section>
  );
}
