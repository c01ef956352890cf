import type { Metadata } from "next";
import { getConfig } from "@/lib/config";
import { RevokeFlow } from "@/components/services/RevokeFlow";
import { getT } from "../_lib/i18n";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.services.revoke.title };
}

export default async function RevokePage() {
  const { locale, t } = await getT();
  return (
    <div className="container narrow">
      <section className="hero">
        <h1>{t.services.revoke.title}</h1>
        <p>{t.services.revoke.intro}</p>
      </section>
      <RevokeFlow assistantUrl={`http://127.0.0.1:${getConfig().ASSISTANT_PORT}`} locale={locale} t={t.services} />
    </div>
  );
}
