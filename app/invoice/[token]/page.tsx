import type { Metadata } from "next";
import { getDb } from "@/lib/db";
import { getConfig } from "@/lib/config";
import { errorMessage, isDomainError } from "@/lib/errors";
import { invoiceLinkView, type InvoiceLinkView } from "@/lib/payments/invoice";
import { getT } from "../../_lib/i18n";
import { InvoiceForm } from "@/components/invoice/InvoiceForm";
import { formatDateTime, formatFen } from "@/lib/messages/format";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.wizard.invoice.heading };
}

/**
 * The order's invoice page, opened from the payment mail's link: 开票信息 can be given or corrected until finance
 * issues the invoice, also after 下证 (when the key already holds the new certificate). No session: the link's
 * token names the order and cannot be forged.
 */
export default async function InvoiceByLink({
  params,
  searchParams,
}: {
  params: Promise<{ token: string }>;
  searchParams: Promise<{ saved?: string }>;
}) {
  const { token } = await params;
  const { saved } = await searchParams;
  const { t, locale } = await getT();
  const p = t.payments.invoice;
  let view: InvoiceLinkView | undefined;
  try {
    view = await invoiceLinkView(await getDb(), getConfig(), token);
  } catch (e) {
    if (!isDomainError(e)) throw e;
  }
  if (!view) {
    return (
      <div className="container narrow">
        <section className="card">
          <h1>{p.title}</h1>
          <div className="alert alert-err" role="alert">
            {errorMessage("INVOICE_LINK_INVALID", locale)}
          </div>
        </section>
      </div>
    );
  }
  const inv = view.invoice;
  return (
    <div className="container narrow">
      <section className="card">
        <h1>{p.title}</h1>
        <dl className="kv">
          <dt>{p.orderNo}</dt>
          <dd className="mono">{view.orderNo}</dd>
          <dt>{p.paid}</dt>
          <dd>
            {formatFen(view.paidFen)} {t.payments.pay.yuan}
          </dd>
          {view.paidAt ? (
            <>
              <dt>{p.paidAt}</dt>
              <dd>{formatDateTime(view.paidAt, locale)}</dd>
            </>
          ) : null}
        </dl>
        {saved && inv ? (
          <div className="alert alert-ok" role="status">
            {p.saved}
          </div>
        ) : null}
        {inv ? (
          <>
            <h2>{p.given}</h2>
            <dl className="kv" data-testid="invoice-given">
              <dt>{p.type}</dt>
              <dd>{inv.type === "organisation" ? p.organisation : p.personal}</dd>
              <dt>{p.invoiceTitle}</dt>
              <dd>{inv.title}</dd>
              {inv.taxpayerId ? (
                <>
                  <dt>{p.taxpayerId}</dt>
                  <dd className="mono">{inv.taxpayerId}</dd>
                </>
              ) : null}
              <dt>{p.email}</dt>
              <dd>{inv.email}</dd>
            </dl>
            {inv.emailPending && !inv.issued ? (
              <div className="alert alert-info" role="status" data-testid="invoice-email-pending">
                {p.emailPending}
              </div>
            ) : null}
            {inv.issued ? (
              <div className="alert alert-info" role="status">
                {p.locked}
              </div>
            ) : null}
          </>
        ) : null}
        {view.open ? (
          <>
            <p className="muted small">{inv ? p.change : p.intro}</p>
            <InvoiceForm
              t={t.wizard.invoice}
              validation={t.validation}
              post={{ url: `/api/invoice/${encodeURIComponent(token)}` }}
              next={`/invoice/${encodeURIComponent(token)}?saved=1`}
            />
          </>
        ) : !inv ? (
          <div className="alert alert-info" role="status">
            {p.notOpen}
          </div>
        ) : null}
      </section>
    </div>
  );
}
