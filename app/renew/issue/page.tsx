import { getT } from "../../_lib/i18n";
import { getConfig } from "@/lib/config";
import { requireHolder } from "../_lib/holder";
import { Stepper } from "../_components/Stepper";
import { IssueCert } from "../_components/IssueCert";
import { assistantErrorTexts } from "../_lib/assistant-errors";
import { fill, formatDateTime } from "@/lib/messages/format";
import { getDb } from "@/lib/db";
import { renewalKeyAlgorithm } from "@/lib/renewal/issue-order";

export const dynamic = "force-dynamic";

/** Step 5 (下证): what will be issued, the PIN again, and the real progress on the key. */
export default async function Issue() {
  const { t, locale } = await getT();
  const { session, summary } = await requireHolder(["issue"]);
  const order = summary.order!;
  const c = summary.certificate;
  const i = t.wizard.issue;
  // the admin may move RSA holders to SM2: the token is then asked for an SM2 key pair
  const keyAlgorithm = await renewalKeyAlgorithm(await getDb(), c);
  return (
    <div className="container narrow">
      <Stepper t={t.wizard} current="issue" free={order.priceFen === 0} />
      <section className="card">
        <h1>{i.heading}</h1>
        <p className="muted small">{i.intro}</p>
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
              : fill(i.startValue, { date: formatDateTime(new Date(), locale) })}
          </dd>
          <dt>{i.end}</dt>
          <dd data-testid="new-not-after">{formatDateTime(order.newNotAfter, locale)}</dd>
        </dl>
        <IssueCert
          t={i}
          locale={locale}
          assistantUrl={`http://127.0.0.1:${getConfig().ASSISTANT_PORT}`}
          orderId={order.id}
          csrf={session.csrfToken}
          oldSerial={c.serial}
          issuedSerial={order.issued?.serial ?? null}
          pinHint={t.wizard.key.pinHint}
          errorTexts={assistantErrorTexts(locale)}
          keyAlgorithm={keyAlgorithm}
        />
      </section>
    </div>
  );
}
