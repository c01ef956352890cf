"use client";

import { useRouter } from "next/navigation";
import { useState, type ReactNode } from "react";
import { apiSend } from "@/lib/api/client";
import { NoticeList } from "@/components/content/NoticeList";
import type { Notice } from "@/lib/content/store";
import { useCsrf } from "./CsrfProvider";

interface Texts {
  preview: string;
  save: string;
  reset: string;
  resetConfirm: string;
  saved: string;
  previewTitle: string;
  json: string;
}

/** Recursively laid out: strings as paragraphs, lists as lists, objects as label/value pairs. */
function Generic({ value }: { value: unknown }): ReactNode {
  if (Array.isArray(value))
    return (
      <ul>
        {value.map((v, i) => (
          <li key={i}>
            <Generic value={v} />
          </li>
        ))}
      </ul>
    );
  if (value && typeof value === "object")
    return (
      <dl className="kv">
        {Object.entries(value).map(([k, v]) => (
          <div key={k} style={{ display: "contents" }}>
            <dt className="mono small">{k}</dt>
            <dd>
              <Generic value={v} />
            </dd>
          </div>
        ))}
      </dl>
    );
  return <span>{String(value)}</span>;
}

/**
 * One content entry in one language: its JSON, a preview of what holders will see (checked by the server with
 * the same schema as saving), save, and back to the default. Notices are previewed as the home page shows them.
 */
export function ContentEditor({
  entryKey,
  locale,
  initial,
  manage,
  t,
}: {
  entryKey: string;
  locale: string;
  initial: string;
  manage: boolean;
  t: Texts;
}) {
  const router = useRouter();
  const csrf = useCsrf();
  const [text, setText] = useState(initial);
  const [preview, setPreview] = useState<unknown>(undefined);
  const [error, setError] = useState("");
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);

  async function send(kind: "preview" | "save" | "reset") {
    if (kind === "reset" && !window.confirm(t.resetConfirm)) return;
    setBusy(true);
    setError("");
    setStatus("");
    try {
      if (kind === "preview") {
        const r = (await apiSend("POST", "/api/staff/content/preview", { key: entryKey, text }, { csrf })) as {
          value: unknown;
        };
        setPreview(r.value);
      } else {
        const body = kind === "reset" ? { key: entryKey, locale, reset: true } : { key: entryKey, locale, text };
        const r = (await apiSend("PUT", "/api/staff/content", body, { csrf })) as { value: unknown };
        if (kind === "reset") setText(JSON.stringify(r.value, null, 2));
        setPreview(undefined);
        setStatus(t.saved);
        router.refresh();
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  const id = `content-${entryKey}-${locale}`;
  return (
    <div className="stack" data-testid={id}>
      <div className="field">
        <label htmlFor={id}>{t.json}</label>
        <textarea
          id={id}
          className="mono small"
          rows={12}
          value={text}
          readOnly={!manage}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
        />
      </div>
      {error && (
        <p className="alert alert-err" role="alert">
          {error}
        </p>
      )}
      {status && (
        <p className="alert alert-ok" role="status">
          {status}
        </p>
      )}
      <div className="actions">
        <button type="button" className="btn" disabled={busy} onClick={() => void send("preview")}>
          {t.preview}
        </button>
        {manage && (
          <>
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void send("save")}>
              {t.save}
            </button>
            <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void send("reset")}>
              {t.reset}
            </button>
          </>
        )}
      </div>
      {preview !== undefined && (
        <section className="card" aria-label={t.previewTitle} data-testid={`${id}-preview`}>
          <h3 className="small muted">{t.previewTitle}</h3>
          {entryKey === "notices" ? (
            <NoticeList notices={preview as Notice[]} label={t.previewTitle} />
          ) : (
            <Generic value={preview} />
          )}
        </section>
      )}
    </div>
  );
}
