"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent, type ReactNode } from "react";
import { ApiError, apiSend } from "@/lib/api/client";
import { useCsrf } from "./CsrfProvider";

/**
 * A form that sends its fields as JSON to a staff API route with the CSRF header, then refreshes the page
 * (or goes to `redirectTo`, or shows the answer's `value`). Errors from the server are shown as they come.
 */
export function ActionForm(props: {
  action: string;
  method?: "POST" | "PUT" | "PATCH" | "DELETE";
  submitLabel: string;
  busyLabel: string;
  children?: ReactNode;
  danger?: boolean;
  confirmText?: string;
  redirectTo?: string;
  showValue?: boolean;
  /** the answer's `value` is saved as a file of this name (and `downloaded` shown) instead of being shown */
  downloadAs?: { name: string; type: string; downloaded: string };
  /** fixed fields sent with the form's own */
  extra?: Record<string, unknown>;
  testId?: string;
}) {
  const router = useRouter();
  const csrf = useCsrf();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [value, setValue] = useState<string | null>(null);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (props.confirmText && !window.confirm(props.confirmText)) return;
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { ...props.extra };
    for (const [k, v] of new FormData(e.currentTarget).entries()) body[k] = typeof v === "string" ? v : v.name;
    for (const box of e.currentTarget.querySelectorAll<HTMLInputElement>("input[type=checkbox]"))
      body[box.name] = box.checked;
    try {
      const data = (await apiSend(props.method ?? "POST", props.action, body, { csrf })) as { value?: string };
      if (props.downloadAs) {
        const url = URL.createObjectURL(new Blob([data.value ?? ""], { type: props.downloadAs.type }));
        const link = document.createElement("a");
        link.href = url;
        link.download = props.downloadAs.name;
        link.click();
        URL.revokeObjectURL(url);
        setValue(props.downloadAs.downloaded);
        return;
      }
      if (props.showValue) {
        setValue(data.value ?? "");
        return;
      }
      if (props.redirectTo) {
        router.push(props.redirectTo);
        router.refresh();
      } else {
        router.refresh();
        (e.target as HTMLFormElement).reset();
      }
    } catch (err) {
      const fields = err instanceof ApiError ? err.details.fields : undefined;
      const detail = fields
        ? ` (${Object.entries(fields)
            .map(([k, v]) => `${k}: ${v}`)
            .join("; ")})`
        : "";
      setError(`${err instanceof Error ? err.message : String(err)}${detail}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="staff-form" data-testid={props.testId}>
      {props.children}
      {error && (
        <p className="alert alert-err" role="alert">
          {error}
        </p>
      )}
      {value !== null && (
        <p className="alert alert-info mono" role="status" data-testid="unmasked">
          {value}
        </p>
      )}
      <button type="submit" className={`btn ${props.danger ? "btn-danger" : "btn-primary"}`} disabled={busy}>
        {busy ? props.busyLabel : props.submitLabel}
      </button>
    </form>
  );
}
