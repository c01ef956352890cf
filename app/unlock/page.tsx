import type { Metadata } from "next";
import { getConfig } from "@/lib/config";
import { UnlockFlow } from "@/components/services/UnlockFlow";
import { getT } from "../_lib/i18n";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.services.unlock.title };
}

export default async function UnlockPage() {
  const { locale, t } = await getT();
  return (
    <div className="container narrow">
      <section className="hero">
        <h1>{t.services.unlock.title}</h1>
        <p>{t.services.unlock.intro}</p>
      </section>
      <UnlockFlow assistantUrl={`http://127.0.0.1:${getConfig().ASSISTANT_PORT}`} locale={locale} t={t.services} />
    </div>
  );
}
