import Link from "@/components/Link";
import { getT } from "../../_lib/i18n";
import { requireHolder } from "../_lib/holder";

export const dynamic = "force-dynamic";

export default async function Refund() {
  const { t } = await getT();
  const { summary } = await requireHolder(["refund"]);
  return (
    <div className="container narrow">
      <section className="card">
        <h1>{t.wizard.refund.title}</h1>
        <p>{t.wizard.refund.body}</p>
        <p className="mono">{summary.order?.orderNo}</p>
        <p>{t.common.hotline}</p>
        <div className="actions">
          <Link href="/" className="btn">
            {t.wizard.unavailable.back}
          </Link>
        </div>
      </section>
    </div>
  );
}
