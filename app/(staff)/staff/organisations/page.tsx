import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { can } from "@/lib/staff/permissions";
import { listOrganisationsForStaff } from "@/lib/org/invoice-issued";
import type { Messages } from "@/lib/messages";
import { requireStaff } from "../../_lib/guard";
import { ActionForm } from "../../_components/ActionForm";
import { DataTable } from "@/components/ui/DataTable";
import { fill, formatDate, formatDateTime, formatFen } from "@/lib/messages/format";

type Org = Awaited<ReturnType<typeof listOrganisationsForStaff>>[number];
type Batch = Org["batches"][number];
type Texts = Messages["staff"]["organisations"];

/** The organisation's fields, empty for a new one; the date input wants the contract's end day in Beijing time. */
function OrgFields({ o, org }: { o: Texts; org?: Org }) {
  const prefix = org ? `org-${org.id}-` : "org-new-";
  const until = org?.contractUntil
    ? new Date(org.contractUntil.getTime() + 8 * 3600_000).toISOString().slice(0, 10)
    : undefined;
  const fields = [
    { name: "name", label: o.name, value: org?.name, required: true, maxLength: 100 },
    { name: "creditCode", label: o.creditCode, value: org?.creditCode, required: true, maxLength: 20 },
    { name: "contactEmail", label: o.contactEmail, value: org?.contactEmail, required: true, type: "email" },
    { name: "contractNo", label: o.contractNo, value: org?.contractNo ?? undefined, maxLength: 64 },
    { name: "contractUntil", label: o.contractUntil, value: until, type: "date" },
  ];
  return fields.map((f) => (
    <div className="field" key={f.name}>
      <label htmlFor={prefix + f.name}>{f.label}</label>
      <input
        id={prefix + f.name}
        name={f.name}
        type={f.type ?? "text"}
        defaultValue={f.value}
        required={f.required}
        maxLength={f.maxLength}
        autoComplete="off"
      />
    </div>
  ));
}

/** One list of linked certificates (console sign-in or paid-for holders), each with an unlink, and a link form. */
function CertLinks(props: {
  o: Texts;
  busy: string;
  org: Org;
  console: boolean;
  certs: { serial: string; holderName: string }[];
  mayLink: boolean;
}) {
  const { o, org } = props;
  return (
    <div className="stack">
      <h3>{props.console ? o.consoleCerts : o.holders}</h3>
      {props.certs.length === 0 && <p className="small">{o.noCerts}</p>}
      <ul>
        {props.certs.map((c) => (
          <li key={c.serial}>
            <span className="mono">{c.serial}</span> {c.holderName}
            {props.mayLink && (
              <ActionForm
                action="/api/staff/org/link"
                extra={{ serial: c.serial, organisationId: "", console: props.console }}
                submitLabel={o.unlink}
                busyLabel={props.busy}
                danger
              />
            )}
          </li>
        ))}
      </ul>
      {props.mayLink && (
        <ActionForm
          action="/api/staff/org/link"
          extra={{ organisationId: org.id, console: props.console }}
          submitLabel={props.console ? o.linkConsole : o.linkHolder}
          busyLabel={props.busy}
        >
          <div className="field">
            <input name="serial" required maxLength={64} aria-label={o.serial} placeholder={o.serial} />
          </div>
        </ActionForm>
      )}
    </div>
  );
}

/** orgstaff (#24): organisations that pay for their holders, their certificates and batches (refunds, invoices). */
export default async function StaffOrganisationsPage() {
  const staff = await requireStaff("/staff/organisations");
  const { t, locale } = await getT();
  const o = t.staff.organisations;
  const busy = t.staff.submitting;
  const role = staff.user.role;
  const manage = can(role, "org.manage");
  const mayLink = manage && can(role, "orders.org_link");
  const mayRefund = can(role, "payments.refund");
  const mayInvoice = can(role, "invoices.issue");
  const orgs = await listOrganisationsForStaff(await getDb());

  const invoiceCell = (b: Batch) => {
    if (b.invoiceIssuedAt)
      return fill(o.invoiceIssued, { no: b.invoiceNo ?? "", at: formatDateTime(b.invoiceIssuedAt, locale) });
    if (b.kind !== "alipay" || !b.paidAt) return <span className="small">{o.noInvoice}</span>;
    return (
      <div className="stack">
        <span>{o.invoiceNotIssued}</span>
        {b.invoiceTitle && <span className="small">{fill(o.invoiceDetails, { title: b.invoiceTitle })}</span>}
        {mayInvoice && (
          <ActionForm
            action={`/api/staff/org/batches/${b.id}/invoice-issued`}
            submitLabel={o.markInvoice}
            busyLabel={busy}
          >
            <div className="field">
              <input name="invoiceNo" maxLength={40} aria-label={o.invoiceNo} placeholder={o.invoiceNo} />
            </div>
          </ActionForm>
        )}
      </div>
    );
  };

  const itemsCell = (b: Batch) => (
    <ul>
      {b.items.map((i) => {
        const retry = i.state === "refunded" && !i.refundedAt;
        const refundable = (i.state === "covered" && !i.orderId) || retry;
        return (
          <li key={i.id}>
            {i.holderName} <span className="mono small">{i.certSerial}</span>{" "}
            <span className="badge badge-muted">{o.itemStates[i.state]}</span>
            {i.orderId && i.state === "covered" && <span className="badge badge-ok">{o.used}</span>}
            {retry && <span className="badge badge-warn">{o.refundPending}</span>}
            {mayRefund && refundable && (
              <ActionForm
                action={`/api/staff/org/items/${i.id}/refund`}
                submitLabel={retry ? o.retryRefund : b.kind === "alipay" ? o.refund : o.release}
                busyLabel={busy}
                confirmText={`${i.holderName} ${formatFen(i.priceFen)}`}
                danger
              />
            )}
          </li>
        );
      })}
    </ul>
  );

  return (
    <>
      <h1>{o.title}</h1>
      <p>{o.intro}</p>
      {orgs.length === 0 && <p>{o.none}</p>}
      {orgs.map((org) => (
        <section key={org.id} className="card section" data-testid="organisation">
          <h2>{org.name}</h2>
          <p>
            <span className="mono">{org.creditCode}</span> · {org.contactEmail} ·{" "}
            {org.contractNo && org.contractUntil
              ? fill(o.contract, { no: org.contractNo, until: formatDate(org.contractUntil, locale) })
              : o.noContract}
          </p>
          {manage && (
            <details>
              <summary>{o.edit}</summary>
              <ActionForm
                action={`/api/staff/organisations/${org.id}`}
                method="PATCH"
                submitLabel={o.save}
                busyLabel={busy}
              >
                <OrgFields o={o} org={org} />
              </ActionForm>
            </details>
          )}
          <CertLinks o={o} busy={busy} org={org} console certs={org.consoleCerts} mayLink={mayLink} />
          <CertLinks o={o} busy={busy} org={org} console={false} certs={org.holders} mayLink={mayLink} />
          <h3>{o.batches}</h3>
          <DataTable
            label={`${org.name} ${o.batches}`}
            rows={org.batches}
            rowKey={(b) => b.id}
            empty={o.noBatches}
            columns={[
              { header: o.batchColumns.batchNo, className: "mono", cell: (b) => b.batchNo },
              { header: o.batchColumns.kind, cell: (b) => t.org.kinds[b.kind] },
              { header: o.batchColumns.state, cell: (b) => t.org.batchStates[b.state] },
              { header: o.batchColumns.amount, cell: (b) => formatFen(b.paidFen ?? b.totalFen) },
              { header: o.batchColumns.items, cell: itemsCell },
              { header: o.batchColumns.invoice, cell: invoiceCell },
              { header: o.batchColumns.created, className: "small", cell: (b) => formatDateTime(b.createdAt, locale) },
            ]}
          />
        </section>
      ))}
      {manage && (
        <section className="card section" style={{ maxWidth: 520 }}>
          <h2>{o.create}</h2>
          <ActionForm action="/api/staff/organisations" submitLabel={o.create} busyLabel={busy}>
            <OrgFields o={o} />
          </ActionForm>
        </section>
      )}
    </>
  );
}
