"use client";
import { useState } from "react";
import { apiSend } from "@/lib/api/client";
import { useCsrf } from "./CsrfProvider";
import { ActionForm } from "./ActionForm";

interface Labels {
  start: string;
  scan: string;
  secret: string;
  code: string;
  confirm: string;
  busy: string;
}

/** Step 1 fetches a fresh secret and QR code; step 2 (ActionForm) stores it once a code from the app verifies. */
export function TotpEnrol({ labels }: { labels: Labels }) {
  const csrf = useCsrf();
  const [enrol, setEnrol] = useState<{ secret: string; qr: string } | null>(null);
  async function start() {
    // a failure leaves the button as it was: the next click asks again
    const answer = await apiSend("POST", "/api/staff/account/totp", {}, { csrf }).catch(() => null);
    if (answer) setEnrol(answer as { secret: string; qr: string });
  }
  if (!enrol) {
    return (
      <button type="button" className="btn btn-primary" onClick={start}>
        {labels.start}
      </button>
    );
  }
  return (
    <div className="stack">
      <p>{labels.scan}</p>
      <img src={enrol.qr} alt="otpauth QR" width={220} height={220} />
      <p className="mono small">
        {labels.secret}: {enrol.secret}
      </p>
      <ActionForm
        action="/api/staff/account/totp"
        method="PUT"
        extra={{ secret: enrol.secret }}
        submitLabel={labels.confirm}
        busyLabel={labels.busy}
      >
        <div className="field">
          <label htmlFor="code">{labels.code}</label>
          <input
            id="code"
            name="code"
            inputMode="numeric"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            autoComplete="one-time-code"
          />
        </div>
      </ActionForm>
    </div>
  );
}
