import { cookies } from "next/headers";
import { notFound } from "next/navigation";
import { isDomainError } from "@/lib/errors";
import { LOCALE_COOKIE } from "@/lib/http/request";
import { getMessages, parseLocale } from "@/lib/messages";
import { formatFen } from "@/lib/messages/format";
import { openSandboxTrade } from "@/lib/dev/alipay-sandbox/actions";
import styles from "./page.module.css";

export const dynamic = "force-dynamic";

/** The emulator's "scan and pay" page: what the QR code opens. A person or Playwright presses 确认付款. */
export default async function SandboxPayPage({ params }: { params: Promise<{ tradeNo: string }> }) {
  const { tradeNo } = await params;
  const locale = parseLocale((await cookies()).get(LOCALE_COOKIE)?.value);
  const t = getMessages(locale).payments.sandbox;
  if (!/^\d{28}$/.test(tradeNo)) notFound();
  let trade;
  try {
    trade = await openSandboxTrade(tradeNo);
  } catch (e) {
    if (isDomainError(e) && e.code === "SANDBOX_TRADE_NOT_FOUND") {
      return (
        <main className={styles.page}>
          <p role="alert">{t.notFound}</p>
        </main>
      );
    }
    if (isDomainError(e) && e.code === "SANDBOX_DISABLED") notFound();
    throw e;
  }
  const payable = trade.status === "WAIT_BUYER_PAY";
  return (
    <main className={styles.page} lang={locale}>
      <h1>{t.title}</h1>
      <p className={styles.banner}>{t.banner}</p>
      <dl className={styles.facts}>
        <dt>{t.merchant}</dt>
        <dd>CertRenew</dd>
        <dt>{t.subject}</dt>
        <dd>{trade.subject}</dd>
        <dt>{t.amount}</dt>
        <dd className={styles.amount}>¥ {formatFen(trade.totalFen)}</dd>
        <dt>{t.orderNo}</dt>
        <dd>{trade.outTradeNo}</dd>
        <dt>{t.tradeNo}</dt>
        <dd>{trade.tradeNo}</dd>
        <dt>{t.status}</dt>
        <dd data-testid="trade-status">{t.statuses[trade.status] ?? trade.status}</dd>
      </dl>
      {payable ? (
        <form method="post" action={`/sandbox/alipay/pay/${trade.tradeNo}/confirm`}>
          <button type="submit" className={styles.confirm}>
            {t.confirm}
          </button>
        </form>
      ) : (
        <p role="status">{trade.status === "TRADE_CLOSED" ? t.closed : t.paid}</p>
      )}
    </main>
  );
}
