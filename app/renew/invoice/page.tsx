import { redirect } from "next/navigation";
import { getT } from "../../_lib/i18n";
import { requireHolder } from "../_lib/holder";
import { Stepper } from "../_components/Stepper";
import { InvoiceForm } from "@/components/invoice/InvoiceForm";

export const dynamic = "force-dynamic";

/** After payment: 开票信息, optional and skippable; also reachable later while the order is being finished. */
export default async function Invoice() {
  const { t } = await getT();
  const { session, summary } = await requireHolder(["invoice", "issue", "done"]);
  const order = summary.order!;
  if (order.priceFen === 0) redirect("/renew/issue");
  const done = summary.step === "done";
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current={done ? "issue" : "pay"} complete />
      <section className="card">
        <h1>{t.wizard.invoice.heading}</h1>
        <p className="muted small">{t.wizard.invoice.intro}</p>
        <InvoiceForm
          t={t.wizard.invoice}
          validation={t.validation}
          post={{ url: "/api/renew/invoice", orderId: order.id, csrf: session.csrfToken }}
          next={done ? "/renew/done" : "/renew/issue"}
          initial={{
            type: summary.certificate.certType === "organisation" ? "organisation" : "personal",
            title: summary.certificate.holderName,
            email: order.handler.email,
          }}
        />
      </section>
    </div>
  );
}
