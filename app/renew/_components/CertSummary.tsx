import type { Locale } from "@/lib/errors";
import type { Messages } from "@/lib/messages";
import type { RenewalSummary } from "@/lib/renewal/flow";
import styles from "../renew.module.css";
import { fill, formatDateTime, formatFen } from "@/lib/messages/format";

/** The texts these need: the whole catalog on the server, the wizard's share in the browser (WizardTexts). */
type Texts = Pick<Messages, "wizard" | "renewal">;

export function idTypeName(t: Texts, code: string): string {
  return (t.renewal.idType as Record<string, string>)[code] ?? t.wizard.holderIdTypes[code] ?? code;
}

/** 用户名称, 证件类型, 证件号码 (masked), 证书类型, 有效期 (days), 价格 or 无需支付. */
export function CertSummary({ t, locale, summary }: { t: Texts; locale: Locale; summary: RenewalSummary }) {
  const d = t.wizard.details;
  const c = summary.certificate;
  return (
    <dl className="kv" data-testid="cert-summary">
      <dt>{d.holderName}</dt>
      <dd>{c.holderName}</dd>
      <dt>{d.idType}</dt>
      <dd>{idTypeName(t, c.holderIdType)}</dd>
      <dt>{d.idNumber}</dt>
      <dd className="mono">{c.holderIdMasked}</dd>
      <dt>{d.certType}</dt>
      <dd>
        {t.renewal.certType[c.certType]} · {t.renewal.payerClass[c.payerClass]}
      </dd>
      <dt>{d.validity}</dt>
      <dd data-testid="validity-days">
        <strong>{fill(d.validityDays, { n: summary.validityDays })}</strong>{" "}
        <span className="muted small">
          ({fill(d.validityHint, { date: formatDateTime(summary.newNotAfter, locale) })})
        </span>
      </dd>
      <dt>{d.price}</dt>
      <dd data-testid="price">
        {summary.priceFen === 0 ? (
          <strong className={styles.free}>{t.renewal.noPaymentNeeded}</strong>
        ) : (
          <strong>{fill(d.yuan, { amount: formatFen(summary.priceFen) })}</strong>
        )}
      </dd>
    </dl>
  );
}
