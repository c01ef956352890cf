import Link from "@/components/Link";
import { notFound } from "next/navigation";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { listDevSms } from "@/lib/dev/sms-sandbox/server";
import { smsMode } from "@/lib/sms";
import { getMessages } from "@/lib/messages";
import { formatDateTime } from "@/lib/messages/format";
import { getLocale } from "../../_lib/i18n";

export const dynamic = "force-dynamic";

/** Demo SMS inbox: what the local SMS sandbox accepted instead of Alibaba Cloud. Absent unless the sandbox runs. */
export default async function DevSmsPage() {
  const config = getConfig();
  if (!config.DEMO_MODE || smsMode(config) !== "sandbox") notFound();
  const locale = await getLocale();
  const t = getMessages(locale).mail.devSms;
  const messages = await listDevSms(await getDb());
  return (
    <div className="container narrow">
      <h1>{t.title}</h1>
      <p className="muted">{t.intro}</p>
      <p className="small">
        <Link href="/dev/mail">{t.mailLink}</Link>
      </p>
      {messages.length === 0 ? (
        <p className="muted">{t.empty}</p>
      ) : (
        <ul className="list-plain stack" data-testid="dev-sms">
          {messages.map((m) => (
            <li key={m.id} className="card" data-phone={m.phone}>
              <div className="small muted">
                {t.to} <span className="mono">{m.phone}</span> · {formatDateTime(m.createdAt, locale)} ·{" "}
                <span className="mono">{m.templateCode}</span>
              </div>
              <p style={{ margin: "0.4rem 0 0" }}>{m.content}</p>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
