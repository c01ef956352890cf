import type { Locale } from "../errors/types";
import { fill, formatDateTime, formatFen } from "../messages/format";
import { mail as texts } from "../messages/mail";
import { MAIL_SPECS, parseStoredMailData, type Field, type Kind, type MailTemplate } from "../outbox/mail-data";

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/** The portal links a mail carries, under `origin` (the configured PUBLIC_ORIGIN). */
export function mailLinks(origin: string) {
  return {
    // the wizard resumes the open order once the key is inserted; the number is shown for reference
    order: (orderNo: string) => `${origin}/renew?order=${encodeURIComponent(orderNo)}`,
    status: () => `${origin}/status`,
    unlock: () => `${origin}/unlock`,
    renew: () => `${origin}/renew`,
    org: () => `${origin}/org`,
    unsubscribe: (token: string) => `${origin}/unsubscribe/${encodeURIComponent(token)}`,
    invoice: (token: string) => `${origin}/invoice/${encodeURIComponent(token)}`,
    invoiceConfirm: (token: string) => `${origin}/invoice/confirm/${encodeURIComponent(token)}`,
    audit: () => `${origin}/staff/audit`,
  };
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function formatValue(kind: Kind, v: unknown, locale: Locale): string {
  const t = texts[locale];
  switch (kind) {
    case "fen":
      return v === 0 ? t.noPayment : fill(t.yuan, { amount: formatFen(Number(v)) });
    case "years":
      return fill(t.yearsValue, { years: String(v) });
    case "days":
      return fill(t.daysValue, { days: String(v) });
    case "date":
      return formatDateTime(String(v), locale);
    case "invoiceType":
      return t.invoiceTypes[v as "personal" | "organisation"];
    default:
      return String(v);
  }
}

/** Renders a stored outbox row into subject, HTML and plain text in the row's locale. Throws on data that does not fit. */
export function renderMail(template: MailTemplate, locale: Locale, stored: unknown, origin: string): RenderedMail {
  const spec = MAIL_SPECS[template];
  const data = parseStoredMailData(template, stored);
  const t = texts[locale];
  const tt = t.templates[template];
  const links = mailLinks(origin);

  const values: Record<string, string> = {};
  const rows: [label: string, value: string][] = [];
  // verbatim lines (kind "lines"): after the fields, unformatted, so they can be copied out exactly
  const block: string[] = [];
  for (const [name, f] of Object.entries(spec.fields) as [
    keyof typeof t.labels | "unsubscribeToken" | "invoiceToken" | "confirmToken" | "checkpoints",
    Field,
  ][]) {
    const v = data[name];
    const kind = typeof f === "string" ? f : f.optional;
    if (v === undefined || v === null || kind === "token") continue;
    if (kind === "lines") {
      block.push(...(v as string[]));
      continue;
    }
    values[name] = formatValue(kind, v, locale);
    rows.push([t.labels[name as keyof typeof t.labels], values[name]]);
  }

  const action =
    spec.link === "order"
      ? links.order(String(data.orderNo))
      : spec.link === "invoiceConfirm"
        ? links.invoiceConfirm(String(data.confirmToken))
        : links[spec.link]();
  const unsubscribe = template === "expiry_reminder" ? links.unsubscribe(String(data.unsubscribeToken)) : undefined;
  const subject = fill(tt.subject, values);
  const intro = {
    text: fill(tt.intro, values),
    html: fill(
      escapeHtml(tt.intro),
      Object.fromEntries(Object.entries(values).map(([k, v]) => [k, `<strong>${escapeHtml(v)}</strong>`])),
    ),
  };
  const unsubscribeLabel = "unsubscribe" in tt ? tt.unsubscribe : undefined;
  // the payment mail's own link to the order's invoice page (lib/crypto/link-token.ts invoiceLinkToken)
  const invoice =
    "invoice" in tt && data.invoiceToken
      ? { label: tt.invoice, url: links.invoice(String(data.invoiceToken)) }
      : undefined;

  const text = [
    t.greeting,
    "",
    intro.text,
    "",
    ...rows.map(([l, v]) => `${l}: ${v}`),
    "",
    ...(block.length ? [...block, ""] : []),
    `${tt.action}: ${action}`,
    ...(invoice ? [`${invoice.label}: ${invoice.url}`] : []),
    "",
    "--",
    t.signature,
    t.footer,
    ...(unsubscribe && unsubscribeLabel ? [`${unsubscribeLabel}: ${unsubscribe}`] : []),
    "",
  ].join("\n");

  const html = layout({
    locale,
    subject,
    signature: t.signature,
    greeting: t.greeting,
    introHtml: intro.html,
    rows,
    block,
    action: { label: tt.action, url: action },
    secondary: invoice,
    footer: t.footer,
    unsubscribe: unsubscribe && unsubscribeLabel ? { label: unsubscribeLabel, url: unsubscribe } : undefined,
  });

  const headers: Record<string, string> = {};
  if (unsubscribe) headers["List-Unsubscribe"] = `<${unsubscribe}>`;
  return { subject, text, html, headers };
}

interface Layout {
  locale: Locale;
  subject: string;
  signature: string;
  greeting: string;
  /** already escaped */
  introHtml: string;
  rows: [string, string][];
  /** verbatim lines, shown preformatted under the fields */
  block: string[];
  action: { label: string; url: string };
  /** a second link under the button */
  secondary?: { label: string; url: string };
  footer: string;
  unsubscribe?: { label: string; url: string };
}

/** Table layout with inline styles: the one thing every mail client renders alike. */
function layout(l: Layout): string {
  const e = escapeHtml;
  const font = "font-family:-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif";
  const rows = l.rows
    .map(
      ([k, v]) =>
        `<tr><td style="padding:6px 12px 6px 0;color:#52606d;white-space:nowrap;vertical-align:top">${e(k)}</td><td style="padding:6px 0;color:#1f2933">${e(v).replace(/\n/g, "<br>")}</td></tr>`,
    )
    .join("");
  const unsubscribe = l.unsubscribe
    ? `<p style="margin:8px 0 0"><a href="${e(l.unsubscribe.url)}" style="color:#52606d">${e(l.unsubscribe.label)}</a></p>`
    : "";
  return `<!doctype html>
<html lang="${e(l.locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(l.subject)}</title></head>
<body style="margin:0;padding:0;background:#f3f5f7;${font}">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="background:#f3f5f7"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="max-width:560px;background:#ffffff;border:1px solid #dde3ea;border-radius:8px">
<tr><td style="padding:18px 28px;background:#0b4f8a;color:#ffffff;font-size:15px;font-weight:600;border-radius:8px 8px 0 0">${e(l.signature)}</td></tr>
<tr><td style="padding:24px 28px;color:#1f2933;font-size:14px;line-height:1.7">
<p style="margin:0 0 12px">${e(l.greeting)}</p>
<p style="margin:0 0 16px">${l.introHtml}</p>
<table role="presentation" cellspacing="0" cellpadding="0" style="font-size:14px;margin:0 0 20px">${rows}</table>
${l.block.length ? `<pre style="margin:0 0 20px;font-size:11px;line-height:1.5;white-space:pre-wrap;word-break:break-all">${e(l.block.join("\n"))}</pre>\n` : ""}<p style="margin:0 0 8px"><a href="${e(l.action.url)}" style="display:inline-block;padding:10px 20px;background:#0b4f8a;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">${e(l.action.label)}</a></p>
<p style="margin:0;color:#7b8794;font-size:12px;word-break:break-all">${e(l.action.url)}</p>
${l.secondary ? `<p style="margin:16px 0 0"><a href="${e(l.secondary.url)}" style="color:#0b4f8a">${e(l.secondary.label)}</a></p>\n` : ""}</td></tr>
<tr><td style="padding:16px 28px;border-top:1px solid #eef1f4;color:#7b8794;font-size:12px;line-height:1.6">${e(l.footer)}${unsubscribe}</td></tr>
</table></td></tr></table>
</body></html>`;
}
