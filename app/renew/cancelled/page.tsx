import Link from "@/components/Link";
import { getT } from "../../_lib/i18n";

export const dynamic = "force-dynamic";

export default async function Cancelled() {
  const { t } = await getT();
  return (
    <div className="container narrow">
      <section className="card">
        <h1>{t.wizard.cancelled.title}</h1>
        <p>{t.wizard.cancelled.body}</p>
        <div className="actions">
          <Link href="/renew/details" className="btn btn-primary">
            {t.wizard.cancelled.again}
          </Link>
          <Link href="/" className="btn">
            {t.wizard.unavailable.back}
          </Link>
        </div>
      </section>
    </div>
  );
}
