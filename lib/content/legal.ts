import type { Locale } from "../errors/types";
import { CONSENT_VERSIONS, type ConsentDocument } from "../consent";

/**
 * The texts a holder accepts before 确认提交, under the version lib/consent records with the order. Changing a
 * text means a new version there (and here): orders keep the version their holder accepted.
 */
export interface LegalText {
  title: string;
  version: string;
  /** paragraphs; "{retentionDays}" is filled with the admin's retention setting */
  body: string[];
}

const zh: Record<ConsentDocument, LegalText> = {
  agreement: {
    title: "数字证书订户协议",
    version: CONSENT_VERSIONS.agreement,
    body: [
      "本协议由山东省数字证书认证管理有限公司（以下简称“CA”）与数字证书订户（以下简称“订户”）订立，适用于通过本平台办理的数字证书在线更新。",
      "一、订户应保证所提交信息真实、准确、完整；证书主体信息（单位名称、证件号码等）发生变化的，应前往德州政务服务中心办理变更，不得通过在线更新延续。",
      "二、订户应妥善保管 U-Key 及证书密码，不得转借他人。U-Key 丢失、损坏或证书密码泄露时，应立即申请证书注销或补办。",
      "三、在线更新后，新证书有效期为原证书到期日顺延一年，原证书由新证书替代；证书密码保持不变。",
      "四、自付费订户按公示标准缴费；统一付费订户的费用由其付费单位承担。已签发证书的订单不予退款，未能签发的订单原路退款。",
      "五、订户使用数字证书进行的电子签名，依照《中华人民共和国电子签名法》承担相应法律责任。",
      "六、本协议未尽事宜，按 CA 公布的电子认证业务规则（CPS）执行。咨询电话 96701666。",
    ],
  },
  privacy: {
    title: "个人信息保护声明",
    version: CONSENT_VERSIONS.privacy,
    body: [
      "为办理数字证书更新，我们依照《中华人民共和国个人信息保护法》处理以下个人信息：经办人姓名、证件类型和证件号码、手机号码、电子邮箱，以及开票信息（如填写）。",
      "处理目的：核验办理人员、发送办理进度与结果通知、开具发票、处理退款和投诉。我们不会将这些信息用于其他目的，也不会向第三方出售。",
      "证件号码和手机号码加密存储，页面和通知中仅显示部分号码；工作人员查看完整信息须经授权并记录在审计日志中。",
      "保存期限：订单办结（完成、取消、关闭或退款）后保存 {retentionDays} 天，期满后经办人信息将被匿名化处理；法律法规要求保存更久的记录（如证书签发记录）除外。",
      "您可以致电 96701666 或前往德州政务服务中心，查询、复制、更正您的个人信息，或要求我们导出您的个人信息副本。",
      "勾选同意即表示您已阅读并理解本声明。本声明更新后，再次办理时需重新确认。",
    ],
  },
};

const en: Record<ConsentDocument, LegalText> = {
  agreement: {
    title: "Certificate subscriber agreement",
    version: CONSENT_VERSIONS.agreement,
    body: [
      "This agreement is made between Shandong Digital Certificate Authority Co., Ltd. (the CA) and the certificate subscriber, for renewing a certificate online through this portal.",
      "1. The subscriber keeps the information it submits true, accurate and complete. When the certificate's subject data (organisation name, ID number, …) changes, the change is made in person at the Dezhou Government Service Centre, not by online renewal.",
      "2. The subscriber keeps the key and its PIN safe and does not lend them. If the key is lost or broken or the PIN disclosed, the subscriber asks for revocation or a replacement at once.",
      "3. After online renewal the new certificate runs until one year after the old expiry and replaces the old certificate; the PIN stays the same.",
      "4. Self-paying subscribers pay the published fee; for unified payment the paying organisation pays. An order whose certificate was issued is not refunded; an order that could not be issued is refunded to the original account.",
      "5. The subscriber is responsible for the electronic signatures made with the certificate under the Electronic Signature Law of the PRC.",
      "6. Anything not covered here follows the CA's certification practice statement (CPS). Hotline 96701666.",
    ],
  },
  privacy: {
    title: "Privacy notice",
    version: CONSENT_VERSIONS.privacy,
    body: [
      "To renew the certificate we process, under the Personal Information Protection Law of the PRC: the handler's name, ID type and number, mobile number and e-mail, and the invoice details if given.",
      "Purposes: checking who is acting, sending progress and result notices, issuing the invoice, handling refunds and complaints. We use the data for nothing else and never sell it.",
      "ID and mobile numbers are stored encrypted and shown only in part on pages and in notices; staff see them in full only with permission, and each look is recorded in the audit log.",
      "Retention: {retentionDays} days after the order ends (completed, cancelled, closed or refunded); then the handler's data is anonymised, except records the law requires us to keep longer (such as certificate issuance records).",
      "Call 96701666 or visit the Dezhou Government Service Centre to see, copy or correct your data, or to ask for an export of it.",
      "Ticking the box means you have read and understood this notice. When it changes, you confirm it again on your next application.",
    ],
  },
};

export function legalText(doc: ConsentDocument, locale: Locale): LegalText {
  return (locale === "en" ? en : zh)[doc];
}
