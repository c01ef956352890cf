import type { Metadata } from "next";
import Link from "@/components/Link";
import { redirect } from "next/navigation";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { BatchRef } from "@/lib/api/org";
import { loadBatch } from "@/lib/org/batch";
import { fill, formatFen } from "@/lib/messages/format";
import { InvoiceForm } from "@/components/invoice/InvoiceForm";
import { getT } from "../../../_lib/i18n";
import { currentOrg } from "../../_lib/org";
import { BatchPayment } from "../../_components/BatchPayment";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.org.pay.title };
}

/** 统一支付: the batch's QR code until paid, then 开票信息 for the batch (one invoice). */
export default async function BatchPay({ params }: { params: Promise<{ batchNo: string }> }) {
  const { t } = await getT();
  const o = t.org;
  const signedIn = await currentOrg();
  const ref = BatchRef.safeParse(await params);
  if (!signedIn || !ref.success) redirect("/org");
  const batch = await loadBatch(await getDb(), signedIn.organisation.id, ref.data.batchNo).catch(() => null);
  if (!batch) redirect("/org");
  const csrf = signedIn.session.csrfToken;
  return (
    <div className="container narrow">
      <section className="card stack">
        <h1>{o.pay.title}</h1>
        <dl className="kv">
          <dt>{o.pay.batchNo}</dt>
          <dd className="mono" data-testid="org-batch-no">
            {batch.batchNo}
          </dd>
          <dt>{o.pay.amount}</dt>
          <dd className="mono" data-testid="org-pay-amount">
            {fill(t.wizard.details.yuan, { amount: formatFen(batch.totalFen) })}
          </dd>
        </dl>
        {batch.state === "awaiting_payment" && (
          <>
            <p className="muted small">{o.pay.intro}</p>
            <BatchPayment t={o.pay} batchNo={batch.batchNo} csrf={csrf} sandbox={getConfig().ALIPAY_SANDBOX} />
          </>
        )}
        {batch.state === "paid" && (
          <div className="alert alert-ok" role="status" data-testid="org-batch-paid">
            {o.pay.paid}
          </div>
        )}
        {batch.state === "closed" && (
          <div className="alert alert-warn" role="status">
            {o.pay.closed}
          </div>
        )}
        <h2>{o.pay.holders}</h2>
        <ul className="list-plain">
          {batch.items.map((i) => (
            <li key={i.id}>
              {i.holderName} <span className="mono small muted">{i.certSerial}</span> · {formatFen(i.priceFen)}
            </li>
          ))}
        </ul>
      </section>
      {batch.state === "paid" && (
        <section className="card stack">
          <h2>{o.invoice.title}</h2>
          {batch.invoiceEmail && (
            <p className="alert alert-ok" role="status">
              {fill(o.invoice.saved, { email: batch.invoiceEmail })}
            </p>
          )}
          <InvoiceForm
            t={t.wizard.invoice}
            validation={t.validation}
            post={{ url: "/api/org/batches/invoice", batchNo: batch.batchNo, csrf }}
            next={`/org/pay/${batch.batchNo}`}
            initial={{
              type: "organisation",
              title: batch.invoiceTitle ?? signedIn.organisation.name,
              taxpayerId: batch.invoiceTaxpayer ?? signedIn.organisation.creditCode,
              email: batch.invoiceEmail ?? signedIn.organisation.contactEmail,
            }}
          />
        </section>
      )}
      <p>
        <Link href="/org">{o.pay.back}</Link>
      </p>
    </div>
  );
}
