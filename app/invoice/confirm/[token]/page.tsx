import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { systemClock } from "@/lib/clock";
import { getDb } from "@/lib/db";
import { errorMessage, isDomainError } from "@/lib/errors";
import { fill } from "@/lib/messages/format";
import {
  confirmInvoiceEmail,
  invoiceConfirmationView,
  type InvoiceConfirmationView,
} from "@/lib/payments/invoice-email";
import { getT } from "../../../_lib/i18n";
import { pageActor } from "../../../_lib/actor";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.payments.invoice.confirmTitle };
}

async function confirm(token: string) {
  "use server";
  try {
    await confirmInvoiceEmail(await getDb(), { token, actor: await pageActor(), clock: systemClock });
  } catch (e) {
    if (!isDomainError(e)) throw e;
  }
  redirect(`/invoice/confirm/${encodeURIComponent(token)}`);
}

/**
 * The link mailed to an invoice address that is not the handler's. Opening it only asks (mail scanners follow
 * links); the button confirms.
 */
export default async function ConfirmInvoiceEmail({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const { t, locale } = await getT();
  const p = t.payments.invoice;
  let view: InvoiceConfirmationView | undefined;
  try {
    view = await invoiceConfirmationView(await getDb(), token, systemClock);
  } catch (e) {
    if (!isDomainError(e)) throw e;
  }
  const values = view ? { orderNo: view.orderNo, email: view.email } : {};
  return (
    <div className="container narrow">
      <section className="card">
        <h1>{p.confirmTitle}</h1>
        {!view ? (
          <div className="alert alert-err" role="alert">
            {errorMessage("INVOICE_CONFIRM_INVALID", locale)}
          </div>
        ) : view.state === "confirmed" ? (
          <div className="alert alert-ok" role="status" data-testid="invoice-email-confirmed">
            {fill(p.confirmDone, values)}
          </div>
        ) : (
          <form action={confirm.bind(null, token)}>
            <p>{fill(p.confirmIntro, values)}</p>
            <div className="actions">
              <button type="submit" className="btn btn-primary">
                {p.confirmButton}
              </button>
            </div>
          </form>
        )}
      </section>
    </div>
  );
}
