import { afterAll, beforeAll, beforeEach } from "vitest";
import type { OpenDb } from "@/lib/db";
import { createTestDb } from "@/tests/helpers/db";
import { SmtpSink } from "@/lib/dev/testing/smtp-sink";

/** One fresh database and one loopback SMTP server per test file; the received list and refusals reset per test. */
export function useMailTestBed(): { readonly db: OpenDb & { url?: string }; smtp: SmtpSink } {
  let open: (OpenDb & { url?: string }) | undefined;
  const smtp = new SmtpSink();
  beforeAll(async () => {
    open = await createTestDb();
    await smtp.start();
  });
  afterAll(async () => {
    await smtp.stop();
    await open?.close();
  });
  beforeEach(() => {
    smtp.received = [];
    smtp.reject = undefined;
  });
  return {
    get db() {
      return open!;
    },
    smtp,
  };
}
