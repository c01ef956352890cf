import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { smtpTransport, type MailTransport } from "../../mail/transport";

/** One message as the receiving SMTP server saw it, decoded just enough to assert on. */
export interface Received {
  from: string;
  to: string[];
  subject: string;
  messageId: string;
  headers: Map<string, string>;
  text: string;
  html: string;
}

/** A real SMTP server on loopback (random port) that records what it receives; `reject` makes it refuse data. */
export class SmtpSink {
  received: Received[] = [];
  reject?: { code: number; message: string };
  private server?: SMTPServer;
  private client?: MailTransport;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      disableReverseLookup: true,
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          if (this.reject) {
            const err = Object.assign(new Error(this.reject.message), { responseCode: this.reject.code });
            return done(err);
          }
          const env = session.envelope;
          this.received.push(
            parseMessage(
              Buffer.concat(chunks).toString("utf8"),
              env.mailFrom ? env.mailFrom.address : "",
              env.rcptTo.map((r) => r.address),
            ),
          );
          done();
        });
      },
    });
    this.server.listen(port, "127.0.0.1");
    await once(this.server.server, "listening");
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.client?.close();
    this.client = undefined;
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The portal's SMTP transport pointed at this server (pooled connections, closed by stop()). */
  transport(): MailTransport {
    this.client ??= smtpTransport({
      host: "127.0.0.1",
      port: this.port,
      secure: false,
      from: "CertRenew <noreply@renew.example.cn>",
      timeoutMs: 5_000,
    });
    return this.client;
  }
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return headers;
}

function decodeWords(v: string): string {
  return v.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*(?==\?)?/g, (_, _cs: string, enc: string, body: string) =>
    enc.toUpperCase() === "B" ? Buffer.from(body, "base64").toString("utf8") : decodeQp(body.replace(/_/g, " ")),
  );
}

function decodeQp(s: string): string {
  const bytes: number[] = [];
  const src = s.replace(/=\r?\n/g, "");
  for (let i = 0; i < src.length; i++) {
    if (src[i] === "=" && /^[0-9A-F]{2}$/i.test(src.slice(i + 1, i + 3))) {
      bytes.push(parseInt(src.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(src[i], "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const enc = (headers.get("content-transfer-encoding") ?? "7bit").toLowerCase();
  if (enc === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (enc === "quoted-printable") return decodeQp(body);
  return body;
}

function split(raw: string): [Map<string, string>, string] {
  const i = raw.search(/\r?\n\r?\n/);
  const sep = raw.slice(i).match(/^\r?\n\r?\n/)![0];
  return [parseHeaders(raw.slice(0, i)), raw.slice(i + sep.length)];
}

function parseMessage(raw: string, from: string, to: string[]): Received {
  const [headers, body] = split(raw);
  const parts: Record<string, string> = {};
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get("content-type") ?? "")?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith("--")) break;
      const [h, b] = split(chunk.replace(/^\r?\n/, ""));
      const type = (h.get("content-type") ?? "").split(";")[0].trim();
      parts[type] = decodeBody(h, b.replace(/\r?\n$/, ""));
    }
  } else {
    parts[(headers.get("content-type") ?? "text/plain").split(";")[0].trim()] = decodeBody(headers, body);
  }
  return {
    from,
    to,
    subject: decodeWords(headers.get("subject") ?? ""),
    messageId: headers.get("message-id") ?? "",
    headers,
    text: (parts["text/plain"] ?? "").replace(/\r\n/g, "\n"),
    html: parts["text/html"] ?? "",
  };
}
