"use client";

import type { ReactNode } from "react";
import Link from "@/components/Link";
import type { Locale } from "@/lib/errors";
import type { Messages } from "@/lib/messages";
import type { GetEndpoints } from "@/lib/api/endpoints";
import { fill, formatDateTime, formatFen } from "@/lib/messages/format";
import { ID_TYPES } from "@/lib/renewal/handler";
import { InvoiceForm } from "@/components/invoice/InvoiceForm";
import styles from "../renew.module.css";
import { CertSummary, idTypeName } from "./CertSummary";
import { HandlerForm } from "./HandlerForm";
import { IssueCert } from "./IssueCert";
import { Payment } from "./Payment";
import { ReviewActions, type ConsentDoc } from "./ReviewActions";
import { Stepper } from "./Stepper";

/** The texts the wizard's pages show, in the holder's language (handed over once, with the first page). */
export interface WizardTexts {
  wizard: Messages["wizard"];
  renewal: Messages["renewal"];
  validation: Messages["validation"];
  operatorName: string;
  /** the assistant's error codes (keeps the error catalog off the client) */
  assistantErrors: Record<string, string>;
  consentDocs: ConsentDoc[];
}

/** What the portal's configuration tells the pages. */
export interface WizardEnv {
  sandbox: boolean;
  assistantUrl: string;
  revokeSuperseded: boolean;
}

export interface PageProps {
  texts: WizardTexts;
  locale: Locale;
  env: WizardEnv;
  summary: GetEndpoints["/api/renew/summary"]["response"];
  /** when the summary was read (ms since the epoch): 下证's start date before issuance */
  at: number;
}

/** 证书名称 as the key shows it: the subject's CN. */
function commonName(dn: string): string | undefined {
  return /(?:^|,)\s*CN=([^,]+)/.exec(dn)?.[1];
}

/** Step 2: the certificate's details and the handler (经办人) form with captcha. */
export function DetailsPage({ texts: t, locale, summary }: PageProps) {
  const order = summary.order?.state === "draft" ? summary.order : null;
  const idTypes = ID_TYPES.map((code) => ({ code, name: t.renewal.idType[code] }));
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current="details" free={summary.priceFen === 0} />
      <section className="card">
        <h1>{t.wizard.details.heading}</h1>
        <CertSummary t={t} locale={locale} summary={summary} />
      </section>
      <Card heading={t.wizard.details.handlerHeading} intro={t.wizard.details.handlerIntro} below>
        <HandlerForm
          t={t.wizard.details}
          validation={t.validation}
          idTypes={idTypes}
          csrf={summary.csrfToken}
          storageKey={`renew.handler.${summary.certificate.serial}`}
          saved={
            order
              ? {
                  orderId: order.id,
                  name: order.handler.name,
                  idType: order.handler.idType,
                  email: order.handler.email,
                }
              : null
          }
        />
      </Card>
    </div>
  );
}

/** A card of a page: its heading (the page's h1, or an h2 `below` the page's own), a short intro, the content. */
function Card({
  heading,
  intro,
  below,
  children,
}: {
  heading: string;
  intro: string;
  below?: boolean;
  children: ReactNode;
}) {
  return (
    <section className="card">
      {below ? <h2>{heading}</h2> : <h1>{heading}</h1>}
      <p className="muted small">{intro}</p>
      {children}
    </section>
  );
}

/** A table of the application form: a heading and a value per row (monospaced, or with a test id). */
function FormTable({
  caption,
  rows,
}: {
  caption: string;
  rows: [heading: string, value: string, how?: { mono?: boolean; testId?: string }][];
}) {
  return (
    <table className={`table ${styles.formTable}`}>
      <caption className={styles.caption}>{caption}</caption>
      <tbody>
        {rows.map(([heading, value, how]) => (
          <tr key={heading}>
            <th scope="row">{heading}</th>
            <td className={how?.mono ? "mono" : undefined} data-testid={how?.testId}>
              {value}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Step 3: 数字证书申请表 — everything for review, then 确认提交 / 返回修改 / 取消申请. */
export function ReviewPage({ texts: t, locale, summary }: PageProps) {
  const order = summary.order!;
  const r = t.wizard.review;
  const d = t.wizard.details;
  const c = summary.certificate;
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current="review" free={order.priceFen === 0} />
      <section className="card">
        <header className={styles.formHead}>
          <p className={styles.operator} data-testid="operator-name">
            {t.operatorName}
          </p>
          <h1 className={styles.formTitle}>{r.heading}</h1>
        </header>
        <p className={`alert alert-info small ${styles.tip}`} data-testid="review-tip">
          <strong>{r.tipLabel}：</strong>
          {r.tip} {r.intro}
        </p>
        <FormTable
          caption={r.certSection}
          rows={[
            [r.orderNo, order.orderNo, { mono: true }],
            [d.holderName, c.holderName],
            [d.idType, idTypeName(t, c.holderIdType)],
            [d.idNumber, c.holderIdMasked, { mono: true }],
            [d.certType, `${t.renewal.certType[c.certType]} · ${t.renewal.payerClass[c.payerClass]}`],
            [r.certName, commonName(c.subjectDn) ?? c.holderName, { testId: "review-cert-name" }],
            [r.serial, c.serial, { mono: true }],
            [r.subject, c.subjectDn, { mono: true }],
            [r.currentExpiry, formatDateTime(c.notAfter, locale)],
            [r.newExpiry, formatDateTime(order.newNotAfter, locale)],
            [d.validity, fill(d.validityDays, { n: summary.validityDays })],
            [
              r.amount,
              order.priceFen === 0 ? t.renewal.noPaymentNeeded : fill(d.yuan, { amount: formatFen(order.priceFen) }),
              { testId: "amount" },
            ],
          ]}
        />
        <FormTable
          caption={r.handlerSection}
          rows={[
            [d.handlerName, order.handler.name, { testId: "review-name" }],
            [d.handlerIdType, idTypeName(t, order.handler.idType)],
            [
              order.handler.idType === "resident_id" ? d.handlerIdNumberResident : d.handlerIdNumber,
              order.handler.idNumberMasked,
              { mono: true },
            ],
            [d.mobile, order.handler.mobileMasked, { mono: true }],
            [d.email, order.handler.email],
          ]}
        />
        <ReviewActions t={r} orderId={order.id} csrf={summary.csrfToken} consentDocs={t.consentDocs} />
      </section>
    </div>
  );
}

/** Step 4 (self-paying): Alipay QR code, amount, order number, countdown and live status. */
export function PayPage({ texts: t, env, summary }: PageProps) {
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current="pay" />
      <Card heading={t.wizard.pay.heading} intro={t.wizard.pay.intro}>
        <Payment
          t={t.wizard.pay}
          yuanLabel={t.wizard.details.yuan}
          orderId={summary.order!.id}
          csrf={summary.csrfToken}
          sandbox={env.sandbox}
        />
      </Card>
    </div>
  );
}

/** After payment: 开票信息, optional and skippable; also reachable later while the order is being finished. */
export function InvoicePage({ texts: t, summary }: PageProps) {
  const order = summary.order!;
  const done = summary.step === "done";
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current={done ? "issue" : "pay"} complete />
      <Card heading={t.wizard.invoice.heading} intro={t.wizard.invoice.intro}>
        <InvoiceForm
          t={t.wizard.invoice}
          validation={t.validation}
          post={{ url: "/api/renew/invoice", orderId: order.id, csrf: summary.csrfToken }}
          next={done ? "/renew/done" : "/renew/issue"}
          initial={{
            type: summary.certificate.certType === "organisation" ? "organisation" : "personal",
            title: summary.certificate.holderName,
            email: order.handler.email,
          }}
        />
      </Card>
    </div>
  );
}

/** Step 5 (下证): what will be issued, the PIN again, and the real progress on the key. */
export function IssuePage({ texts: t, locale, env, summary, at }: PageProps) {
  const order = summary.order!;
  const c = summary.certificate;
  const i = t.wizard.issue;
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current="issue" free={order.priceFen === 0} />
      <Card heading={i.heading} intro={i.intro}>
        <dl className="kv" data-testid="issue-facts">
          <dt>{i.certType}</dt>
          <dd>{t.renewal.certType[c.certType]}</dd>
          <dt>{i.subject}</dt>
          <dd className="mono" data-testid="subject-dn">
            {c.subjectDn}
          </dd>
          <dt>{i.start}</dt>
          <dd>
            {order.issued
              ? formatDateTime(order.issued.notBefore, locale)
              : fill(i.startValue, { date: formatDateTime(new Date(at), locale) })}
          </dd>
          <dt>{i.end}</dt>
          <dd data-testid="new-not-after">{formatDateTime(order.newNotAfter, locale)}</dd>
        </dl>
        <IssueCert
          t={i}
          locale={locale}
          assistantUrl={env.assistantUrl}
          orderId={order.id}
          csrf={summary.csrfToken}
          oldSerial={c.serial}
          issuedSerial={order.issued?.serial ?? null}
          pinHint={t.wizard.key.pinHint}
          errorTexts={t.assistantErrors}
          keyAlgorithm={summary.newKeyAlgorithm}
        />
      </Card>
    </div>
  );
}

/** 下证成功 with the new validity. */
export function DonePage({ texts: t, locale, env, summary }: PageProps) {
  const order = summary.order!;
  const d = t.wizard.done;
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current="issue" free={order.priceFen === 0} complete />
      <section className="card">
        <div className={styles.success} aria-hidden="true">
          ✓
        </div>
        <h1 className="center">{d.title}</h1>
        <p className="center">{d.body}</p>
        <ul className={styles.doneNotes} data-testid="done-notes">
          <li>
            <strong>{d.unplug}</strong>
          </li>
          <li>
            {fill(d.oldReplaced, { serial: summary.certificate.serial })}
            {env.revokeSuperseded ? ` ${d.oldRevoked}` : null}
          </li>
          <li>{fill(d.mailSent, { email: order.handler.email })}</li>
        </ul>
        <dl className="kv">
          <dt>{d.orderNo}</dt>
          <dd className="mono" data-testid="order-no">
            {order.orderNo}
          </dd>
          {order.issued ? (
            <>
              <dt>{d.serial}</dt>
              <dd className="mono" data-testid="new-serial">
                {order.issued.serial}
              </dd>
              {order.issued.encryptionSerial ? (
                <>
                  <dt>{d.encryptionSerial}</dt>
                  <dd className="mono" data-testid="new-encryption-serial">
                    {order.issued.encryptionSerial}
                  </dd>
                </>
              ) : null}
              <dt>{d.validity}</dt>
              <dd data-testid="new-validity">
                {fill(d.from, {
                  from: formatDateTime(order.issued.notBefore, locale),
                  to: formatDateTime(order.issued.notAfter, locale),
                })}
              </dd>
            </>
          ) : null}
        </dl>
        <div className="actions">
          <Link href="/" className="btn btn-primary">
            {d.home}
          </Link>
          {order.priceFen > 0 && !order.hasInvoice ? (
            <Link href="/renew/invoice" className="btn">
              {d.invoice}
            </Link>
          ) : null}
        </div>
      </section>
    </div>
  );
}
