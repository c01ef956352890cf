import Link from "@/components/Link";
import { getT } from "../../_lib/i18n";
import { requireHolder } from "../_lib/holder";
import { Stepper } from "../_components/Stepper";
import styles from "../renew.module.css";
import { fill, formatDateTime } from "@/lib/messages/format";
import { getConfig } from "@/lib/config";

export const dynamic = "force-dynamic";

/** 下证成功 with the new validity. */
export default async function Done() {
  const { t, locale } = await getT();
  const { summary } = await requireHolder(["done"]);
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
            {getConfig().REVOKE_SUPERSEDED_ON_RENEWAL ? ` ${d.oldRevoked}` : null}
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
