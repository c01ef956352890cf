import Link from "@/components/Link";
import { notFound } from "next/navigation";
import { getT } from "@/app/_lib/i18n";
import { getDb } from "@/lib/db";
import { isDomainError } from "@/lib/errors";
import type { Messages } from "@/lib/messages";
import { can } from "@/lib/staff/permissions";
import { orderDetail, type UnmaskableField } from "@/lib/staff/orders";
import { smsForOrder } from "@/lib/sms";
import { staffNames } from "@/lib/staff/audit-log";
import { listOrganisations } from "@/lib/org/organisations";
import { requireStaff } from "../../../_lib/guard";
import { ActionForm } from "../../../_components/ActionForm";
import { DataTable } from "@/components/ui/DataTable";
import styles from "../../staff.module.css";
import { fill, formatDate, formatDateTime, formatFen } from "@/lib/messages/format";

function ReasonField({ t, id, label }: { t: Messages; id: string; label?: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label ?? t.staff.reason}</label>
      <textarea id={id} name={id.split("-")[0]} required maxLength={500} rows={2} />
    </div>
  );
}

function Unmask({ t, orderId, field }: { t: Messages; orderId: string; field: UnmaskableField }) {
  return (
    <details className="small" data-testid={`unmask-${field}`}>
      <summary>{t.staff.order.show}</summary>
      <ActionForm
        action={`/api/staff/orders/${orderId}/unmask`}
        extra={{ field }}
        submitLabel={t.staff.order.show}
        busyLabel={t.staff.submitting}
        showValue
      >
        <ReasonField t={t} id={`reason-unmask-${field}`} label={t.staff.order.unmaskReason} />
      </ActionForm>
    </details>
  );
}

export default async function OrderPage({ params }: { params: Promise<{ id: string }> }) {
  const staff = await requireStaff("/staff/orders/[id]");
  const { id } = await params;
  const { t, locale } = await getT();
  const s = t.staff;
  const o = s.order;
  const db = await getDb();
  let d;
  try {
    d = await orderDetail(db, id);
  } catch (e) {
    if (isDomainError(e) && e.code === "ORDER_NOT_FOUND") notFound();
    throw e;
  }
  const names = await staffNames(db);
  const organisations = await listOrganisations(db);
  const texts = await smsForOrder(db, d.id);
  const role = staff.user.role;
  const dt = (v: Date | null | undefined) => (v ? formatDateTime(v, locale) : "—");
  const api = `/api/staff/orders/${d.id}`;
  const act = (label: string, path: string, opts: { danger?: boolean; hint?: string; reasonId: string }) => (
    <details className="card">
      <summary>
        <strong>{label}</strong>
      </summary>
      {opts.hint && <p className="muted small">{opts.hint}</p>}
      <ActionForm
        action={`${api}/${path}`}
        submitLabel={label}
        busyLabel={s.submitting}
        danger={opts.danger}
        confirmText={opts.danger ? s.confirm : undefined}
      >
        <ReasonField t={t} id={opts.reasonId} />
      </ActionForm>
    </details>
  );

  return (
    <>
      <p>
        <Link href="/staff/orders">← {o.back}</Link>
      </p>
      <h1>
        {fill(o.title, { orderNo: d.orderNo })}{" "}
        <span className="badge" data-testid="order-state">
          {s.states[d.state]}
        </span>
      </h1>
      {d.flagged && (
        <p className="alert alert-warn" role="status">
          {fill(o.flagged, { reason: d.flagReason ?? "" })}
        </p>
      )}
      <div className="two-col">
        <div className="stack">
          <section className="card">
            <h2>{o.holder}</h2>
            <dl className="kv">
              <dt>{o.holderName}</dt>
              <dd>{d.certificate.holderName}</dd>
              <dt>{o.holderId}</dt>
              <dd>
                <span className="mono">{d.certificate.holderIdMasked}</span>
                {can(role, "orders.unmask") && <Unmask t={t} orderId={d.id} field="holderIdNumber" />}
              </dd>
              <dt>{o.serial}</dt>
              <dd className="mono">{d.certificate.serial}</dd>
              <dt>{o.subject}</dt>
              <dd className="mono small">{d.certificate.subjectDn}</dd>
              <dt>{o.certType}</dt>
              <dd>{s.certTypes[d.certType]}</dd>
              <dt>{o.payerClass}</dt>
              <dd>{s.payerClasses[d.payerClass]}</dd>
              <dt>{o.validity}</dt>
              <dd>
                {formatDateTime(d.certificate.notBefore, locale)} – {formatDateTime(d.certificate.notAfter, locale)}
              </dd>
            </dl>
          </section>

          <section className="card" data-testid="order-organisation">
            <h2>{t.org.staff.heading}</h2>
            <p>
              {d.certificate.organisation
                ? `${d.certificate.organisation.name}（${t.org.staff.creditCode} ${d.certificate.organisation.creditCode}）`
                : t.org.staff.none}
            </p>
            {d.orgCoverage && (
              <p className="small">
                {t.org.kinds[d.orgCoverage.batch.kind]} · <span className="mono">{d.orgCoverage.batch.batchNo}</span> ·{" "}
                {t.org.batchStates[d.orgCoverage.batch.state]}
              </p>
            )}
            {can(role, "orders.org_link") && (
              <ActionForm
                action="/api/staff/org/link"
                extra={{ serial: d.certificate.serial }}
                submitLabel={t.org.staff.link}
                busyLabel={s.submitting}
                testId="org-link"
              >
                <div className="field">
                  <label htmlFor="org-link-select">{t.org.staff.organisation}</label>
                  <select
                    id="org-link-select"
                    name="organisationId"
                    defaultValue={d.certificate.organisation?.id ?? ""}
                  >
                    <option value="">{t.org.staff.clear}</option>
                    {organisations.map((org) => (
                      <option key={org.id} value={org.id}>
                        {org.name}
                      </option>
                    ))}
                  </select>
                </div>
              </ActionForm>
            )}
          </section>

          <section className="card">
            <h2>{o.handler}</h2>
            <dl className="kv">
              <dt>{o.handlerName}</dt>
              <dd>{d.handlerName}</dd>
              <dt>{o.handlerId}</dt>
              <dd>
                <span className="mono">{d.handlerIdMasked}</span>
                {can(role, "orders.unmask") && <Unmask t={t} orderId={d.id} field="handlerIdNumber" />}
              </dd>
              <dt>{o.handlerMobile}</dt>
              <dd>
                <span className="mono">{d.handlerMobileMasked}</span>
                {can(role, "orders.unmask") && <Unmask t={t} orderId={d.id} field="handlerMobile" />}
              </dd>
              <dt>{o.handlerEmail}</dt>
              <dd>
                {d.handlerEmail}
                {can(role, "orders.unmask") && <Unmask t={t} orderId={d.id} field="handlerEmail" />}
              </dd>
            </dl>
          </section>

          <section className="card">
            <h2>{o.price}</h2>
            <dl className="kv">
              <dt>{o.fenPerYear}</dt>
              <dd>{formatFen(d.fenPerYear)}</dd>
              <dt>{o.years}</dt>
              <dd>{d.years}</dd>
              <dt>{o.total}</dt>
              <dd>
                <strong>{formatFen(d.priceFen)}</strong>
              </dd>
              <dt>{o.tier}</dt>
              <dd>
                {d.feeTier
                  ? `${formatDate(d.feeTier.effectiveFrom, locale)} – ${d.feeTier.effectiveTo ? formatDate(d.feeTier.effectiveTo, locale) : t.staff.fees.openEnded}`
                  : "—"}
              </dd>
              <dt>{o.newNotAfter}</dt>
              <dd>{formatDateTime(d.newNotAfter, locale)}</dd>
            </dl>
          </section>

          <section className="card">
            <h2>{o.payments}</h2>
            <DataTable
              label={o.payments}
              rows={d.paymentEvents}
              rowKey={(p) => p.id}
              empty={o.noPayments}
              columns={[
                { header: o.paymentColumns.at, className: "small", cell: (p) => dt(p.createdAt) },
                { header: o.paymentColumns.kind, cell: (p) => p.kind },
                { header: o.paymentColumns.status, cell: (p) => p.tradeStatus ?? "—" },
                { header: o.paymentColumns.amount, cell: (p) => (p.amountFen === null ? "—" : formatFen(p.amountFen)) },
                { header: o.paymentColumns.outcome, className: "small", cell: (p) => p.outcome },
              ]}
            />
            <h3 className="section">{o.refunds}</h3>
            {d.refunds.length === 0 ? (
              <p className="muted">{o.noRefunds}</p>
            ) : (
              <ul className="list-plain" data-testid="refunds">
                {d.refunds.map((r) => (
                  <li key={r.id}>
                    {formatFen(r.amountFen)} · {o.refundStates[r.state]} · {r.reason}{" "}
                    <span className="muted small">{dt(r.createdAt)}</span>
                  </li>
                ))}
              </ul>
            )}
            <h3 className="section">{o.invoice}</h3>
            {!d.invoice ? (
              <p className="muted">{o.noInvoice}</p>
            ) : (
              <p>
                {d.invoice.title} ({d.invoice.type}) —{" "}
                {d.invoice.issuedAt ? fill(o.invoiceIssued, { at: dt(d.invoice.issuedAt) }) : o.invoiceNotIssued}
              </p>
            )}
            {d.invoiceDelivery ? (
              <p className="small" data-testid="invoice-delivery">
                {fill(o.invoiceDeliverTo, { to: d.invoiceDelivery.to })}{" "}
                {d.invoiceDelivery.pending ? fill(o.invoiceEmailPending, { pending: d.invoiceDelivery.pending }) : null}
              </p>
            ) : null}
          </section>

          <section className="card">
            <h2>{o.issued}</h2>
            {!d.issuedCertificate ? (
              <p className="muted">{o.notIssued}</p>
            ) : (
              <dl className="kv">
                <dt>{o.serial}</dt>
                <dd className="mono">{d.issuedCertificate.serial}</dd>
                <dt>{o.validity}</dt>
                <dd>
                  {dt(d.issuedCertificate.notBefore)} – {dt(d.issuedCertificate.notAfter)}
                </dd>
                <dt />
                <dd>
                  <a className="btn" href={`${api}/certificate`} download>
                    {o.download}
                  </a>
                </dd>
              </dl>
            )}
          </section>

          {(d.upstreamAttempts > 0 || d.upstreamRevocations.length > 0) && (
            <section className="card" data-testid="upstream">
              <h2>{o.upstream}</h2>
              <dl className="kv">
                <dt>{o.upstreamAttempts}</dt>
                <dd>{d.upstreamAttempts}</dd>
                {d.upstreamLastError && (
                  <>
                    <dt>{o.upstreamLastError}</dt>
                    <dd className="mono small">{d.upstreamLastError}</dd>
                  </>
                )}
                {d.state === "issuing" && d.upstreamLeaseUntil && (
                  <>
                    <dt>{o.upstreamNextTry}</dt>
                    <dd>{dt(d.upstreamLeaseUntil)}</dd>
                  </>
                )}
              </dl>
              {d.upstreamRevocations.length > 0 && (
                <>
                  <h3>{o.upstreamRevocations}</h3>
                  <ul>
                    {d.upstreamRevocations.map((r) => (
                      <li key={r.id}>
                        <span className="mono">{r.serial}</span> — {o.upstreamRevocationStates[r.state]} ({r.attempts})
                        {r.lastError && <span className="muted small"> {r.lastError}</span>}
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </section>
          )}

          <section className="card">
            <h2>{o.mails}</h2>
            {d.mails.length === 0 ? (
              <p className="muted">{o.noMails}</p>
            ) : (
              <ul className="list-plain">
                {d.mails.map((m) => (
                  <li key={m.id}>
                    <span className="mono small">{m.template}</span> → {m.to} · {o.mailStates[m.state]}{" "}
                    <span className="muted small">{dt(m.sentAt ?? m.createdAt)}</span>
                    {m.lastError && <span className="field-error"> {m.lastError}</span>}
                    {m.state === "failed" && can(role, "orders.resend_mail") && (
                      <ActionForm
                        action={`/api/staff/mails/${m.id}/retry`}
                        submitLabel={o.retryMail}
                        busyLabel={s.submitting}
                        testId={`retry-mail-${m.id}`}
                      />
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>

          {texts.length > 0 && (
            <section className="card" data-testid="order-sms">
              <h2>{o.sms}</h2>
              <ul className="list-plain">
                {texts.map((m) => (
                  <li key={m.id}>
                    <span className="mono small">{m.template}</span> · {o.mailStates[m.state]}{" "}
                    <span className="muted small">{dt(m.sentAt ?? m.createdAt)}</span>
                    {m.lastError && <span className="field-error"> {m.lastError}</span>}
                  </li>
                ))}
              </ul>
            </section>
          )}

          <section className="card">
            <h2>{o.timeline}</h2>
            <ol className="list-plain" data-testid="timeline">
              {d.timeline.map((e) => (
                <li key={e.seq}>
                  <span className="muted small mono">#{e.seq}</span> <strong>{e.action}</strong>
                  {e.fromState !== e.toState && e.toState && (
                    <span>
                      {" "}
                      {e.fromState ? s.states[e.fromState] : ""} → {s.states[e.toState]}
                    </span>
                  )}
                  <div className="small muted">
                    {dt(e.createdAt)} · {o.actor}: {e.actorType}
                    {e.actorId ? ` ${names[e.actorId] ?? e.actorId}` : ""}
                  </div>
                  {e.data && Object.keys(e.data as object).length > 0 && (
                    <div className={`small mono ${styles.data}`}>{JSON.stringify(e.data)}</div>
                  )}
                </li>
              ))}
            </ol>
          </section>
        </div>

        <aside className="stack">
          <h2>{o.actions}</h2>
          {can(role, "orders.note") && (
            <details className="card" open>
              <summary>
                <strong>{o.note}</strong>
              </summary>
              <ActionForm action={`${api}/note`} submitLabel={o.note} busyLabel={s.submitting} testId="note-form">
                <div className="field">
                  <label htmlFor="note">{o.noteText}</label>
                  <textarea id="note" name="note" required maxLength={500} rows={3} />
                </div>
              </ActionForm>
            </details>
          )}
          {can(role, "orders.resend_mail") && d.mails.length > 0 && (
            <details className="card">
              <summary>
                <strong>{o.resend}</strong>
              </summary>
              <ActionForm action={`${api}/resend-mail`} submitLabel={o.resend} busyLabel={s.submitting}>
                <div className="field">
                  <label htmlFor="mailId">{o.resendWhich}</label>
                  <select id="mailId" name="mailId">
                    {d.mails.map((m) => (
                      <option key={m.id} value={m.id}>
                        {m.template} ({o.mailStates[m.state]})
                      </option>
                    ))}
                  </select>
                </div>
                <ReasonField t={t} id="reason-resend" />
              </ActionForm>
            </details>
          )}
          {can(role, "orders.cancel") &&
            ["draft", "submitted", "awaiting_payment"].includes(d.state) &&
            act(o.cancel, "cancel", { danger: true, reasonId: "reason-cancel" })}
          {can(role, "orders.mark_in_person") &&
            ["draft", "submitted", "awaiting_payment"].includes(d.state) &&
            act(o.inPerson, "in-person", { danger: true, hint: o.inPersonHint, reasonId: "reason-inperson" })}
          {can(role, "orders.reissue") &&
            d.state === "issuing" &&
            act(o.reissue, "reissue", { hint: o.reissueHint, reasonId: "reason-reissue" })}
          {can(role, "payments.refund") &&
            d.paidFen !== null &&
            ["paid", "issuing"].includes(d.state) &&
            act(o.refund, "refund", { danger: true, reasonId: "reason-refund" })}
          {can(role, "orders.unmask") && (
            <details className="card" data-testid="holder-export">
              <summary>
                <strong>{o.holderExport}</strong>
              </summary>
              <p className="muted small">{o.holderExportHint}</p>
              <ActionForm
                action={`${api}/holder-export`}
                submitLabel={o.holderExport}
                busyLabel={s.submitting}
                downloadAs={{
                  name: `holder-data-${d.orderNo}.json`,
                  type: "application/json",
                  downloaded: o.holderExported,
                }}
              >
                <ReasonField t={t} id="reason-export" />
              </ActionForm>
            </details>
          )}
          {can(role, "invoices.issue") && d.invoice && !d.invoice.issuedAt && (
            <div className="card">
              <ActionForm action={`${api}/invoice-issued`} submitLabel={o.invoiceIssue} busyLabel={s.submitting} />
            </div>
          )}
        </aside>
      </div>
    </>
  );
}
