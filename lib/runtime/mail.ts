import type { Config } from "../config";
import type { Db } from "../db";
import { devMailSink } from "../dev/mail-sink";
import { smtpTransport, validateMailConfig, type MailTransport } from "../mail/transport";
import { deliveryJob } from "../mail/worker";

/** SMTP, or in demo mode without SMTP_HOST the DevMail sink read at /dev/mail. */
export function createMailTransport(config: Config, db: Db): MailTransport {
  const s = validateMailConfig(config);
  return "sink" in s ? devMailSink(db, s.from) : smtpTransport(s);
}

/** The mail worker's job with the process's transport, made from the configuration on its first run. */
export function mailDeliveryJob(config: Config) {
  return deliveryJob((db) => createMailTransport(config, db), config.publicOrigin);
}
