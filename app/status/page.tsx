import type { Metadata } from "next";
import { getConfig } from "@/lib/config";
import { StatusView } from "@/components/services/StatusView";
import { getT } from "../_lib/i18n";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.services.status.title };
}

export default async function StatusPage() {
  const { locale, t } = await getT();
  return (
    <div className="container narrow">
      <section className="hero">
        <h1>{t.services.status.title}</h1>
        <p>{t.services.status.intro}</p>
      </section>
      <StatusView assistantUrl={`http://127.0.0.1:${getConfig().ASSISTANT_PORT}`} locale={locale} t={t.services} />
    </div>
  );
}
