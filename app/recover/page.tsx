import type { Metadata } from "next";
import { getConfig } from "@/lib/config";
import { KeyRecoveryFlow } from "@/components/services/KeyRecoveryFlow";
import { getT } from "../_lib/i18n";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t.keyRecovery.title };
}

/** 加密密钥恢复: the holder's half of key recovery (dual certificates, lib/kmc/holder-recovery.ts). */
export default async function RecoverPage() {
  const { locale, t } = await getT();
  return (
    <div className="container narrow">
      <section className="hero">
        <h1>{t.keyRecovery.title}</h1>
        <p>{t.keyRecovery.intro}</p>
      </section>
      <KeyRecoveryFlow
        assistantUrl={`http://127.0.0.1:${getConfig().ASSISTANT_PORT}`}
        locale={locale}
        t={t.services}
        r={t.keyRecovery}
      />
    </div>
  );
}
