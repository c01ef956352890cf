import { getT } from "../../_lib/i18n";
import { requireHolder } from "../_lib/holder";
import { Stepper } from "../_components/Stepper";
import { idTypeName } from "../_components/CertSummary";
import { ReviewActions } from "../_components/ReviewActions";
import { CONSENT_DOCUMENTS } from "@/lib/consent";
import { legalText } from "@/lib/content/legal";
import { STEP_PATH } from "../_lib/steps";
import styles from "../renew.module.css";
import { fill, formatDateTime, formatFen } from "@/lib/messages/format";

export const dynamic = "force-dynamic";

/** 证书名称 as the key shows it: the subject's CN. */
function commonName(dn: string): string | undefined {
  return /(?:^|,)\s*CN=([^,]+)/.exec(dn)?.[1];
}

/** Step 3: 数字证书申请表 — everything for review, then 确认提交 / 返回修改 / 取消申请. */
export default async function Review() {
  const { t, locale } = await getT();
  const { session, summary } = await requireHolder(["review"]);
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
            {t.common.operatorName}
          </p>
          <h1 className={styles.formTitle}>{r.heading}</h1>
        </header>
        <p className={`alert alert-info small ${styles.tip}`} data-testid="review-tip">
          <strong>{r.tipLabel}：</strong>
          {r.tip} {r.intro}
        </p>
        <table className={`table ${styles.formTable}`}>
          <caption className={styles.caption}>{r.certSection}</caption>
          <tbody>
            <tr>
              <th scope="row">{r.orderNo}</th>
              <td className="mono">{order.orderNo}</td>
            </tr>
            <tr>
              <th scope="row">{d.holderName}</th>
              <td>{c.holderName}</td>
            </tr>
            <tr>
              <th scope="row">{d.idType}</th>
              <td>{idTypeName(t, c.holderIdType)}</td>
            </tr>
            <tr>
              <th scope="row">{d.idNumber}</th>
              <td className="mono">{c.holderIdMasked}</td>
            </tr>
            <tr>
              <th scope="row">{d.certType}</th>
              <td>
                {t.renewal.certType[c.certType]} · {t.renewal.payerClass[c.payerClass]}
              </td>
            </tr>
            <tr>
              <th scope="row">{r.certName}</th>
              <td data-testid="review-cert-name">{commonName(c.subjectDn) ?? c.holderName}</td>
            </tr>
            <tr>
              <th scope="row">{r.serial}</th>
              <td className="mono">{c.serial}</td>
            </tr>
            <tr>
              <th scope="row">{r.subject}</th>
              <td className="mono">{c.subjectDn}</td>
            </tr>
            <tr>
              <th scope="row">{r.currentExpiry}</th>
              <td>{formatDateTime(c.notAfter, locale)}</td>
            </tr>
            <tr>
              <th scope="row">{r.newExpiry}</th>
              <td>{formatDateTime(order.newNotAfter, locale)}</td>
            </tr>
            <tr>
              <th scope="row">{d.validity}</th>
              <td>{fill(d.validityDays, { n: summary.validityDays })}</td>
            </tr>
            <tr>
              <th scope="row">{r.amount}</th>
              <td data-testid="amount">
                {order.priceFen === 0 ? t.renewal.noPaymentNeeded : fill(d.yuan, { amount: formatFen(order.priceFen) })}
              </td>
            </tr>
          </tbody>
        </table>
        <table className={`table ${styles.formTable}`}>
          <caption className={styles.caption}>{r.handlerSection}</caption>
          <tbody>
            <tr>
              <th scope="row">{d.handlerName}</th>
              <td data-testid="review-name">{order.handler.name}</td>
            </tr>
            <tr>
              <th scope="row">{d.handlerIdType}</th>
              <td>{idTypeName(t, order.handler.idType)}</td>
            </tr>
            <tr>
              <th scope="row">
                {order.handler.idType === "resident_id" ? d.handlerIdNumberResident : d.handlerIdNumber}
              </th>
              <td className="mono">{order.handler.idNumberMasked}</td>
            </tr>
            <tr>
              <th scope="row">{d.mobile}</th>
              <td className="mono">{order.handler.mobileMasked}</td>
            </tr>
            <tr>
              <th scope="row">{d.email}</th>
              <td>{order.handler.email}</td>
            </tr>
          </tbody>
        </table>
        <ReviewActions
          t={r}
          orderId={order.id}
          csrf={session.csrfToken}
          stepPaths={STEP_PATH}
          consentDocs={CONSENT_DOCUMENTS.map((key) => {
            const doc = legalText(key, locale);
            return { key, title: doc.title, version: doc.version, href: `/legal/${key}` };
          })}
        />
      </section>
    </div>
  );
}
