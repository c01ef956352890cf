/**
 * ISSUER=cmp: an upstream CA reached over CMP (RFC 4210/9480, Lightweight CMP Profile RFC 9483) over HTTP.
 *
 * Renewal: kur with the old certificate named in the oldCertID control and raVerified proof of possession (the
 * portal has verified the holder's CSR; it never holds the new private key), or p10cr carrying the CSR itself if
 * the CA refuses raVerified (CmpSettings.renewalRequest). Then certConf → pkiconf. A "waiting" CA is polled
 * (pollReq/pollRep) up to maxWaitSeconds, after which renew() answers `pending` and the next renew() with the same
 * transactionId resumes polling. Revocation: rr with the CRL reason → rp.
 *
 * Every answer is checked before it is read: its protection (MAC with the shared secret, or a signature by a
 * certificate chaining to CMP_TRUSTED), its transactionID and its recipNonce (= the senderNonce we sent). The
 * issued certificate must carry the CSR's public key and chain to CMP_TRUSTED, or it is rejected in certConf.
 *
 * Idempotency: the RenewalRequest's transactionId is the CMP transactionID of every message of the exchange, so a
 * retried request is the same transaction to the CA. Open transactions (waiting, or issued but not yet confirmed)
 * are kept in this process; after a restart a retry re-sends the request with the same transactionID, which an
 * RFC 9483 CA answers with transactionIdInUse (retryable) if it still holds the first one.
 */
import { createHash, createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { children, DerError, raw, readAll, type Node } from "../../der";
import { OID } from "../../oids";
import { FileSigner, type Signer } from "../../signer";
import { pemBlocks } from "../../x509";
import {
  UpstreamError,
  type RenewalOutcome,
  type RenewalRequest,
  type RevocationRequest,
  type UpstreamIssuer,
} from "../types";
import {
  BODY,
  algorithmOf,
  BODY_NAME,
  CERT_REQ_ID,
  CERT_REQ_ID_NONE,
  certConfBody,
  checkPkiConf,
  directoryName,
  encodeHeader,
  encodeMessage,
  kurBody,
  NULL_DN,
  p10crBody,
  parseCertRep,
  parseErrorMsg,
  parseMessage,
  parsePollRep,
  parseRevRep,
  PKI_STATUS,
  pollReqBody,
  protectedPart,
  rrBody,
  type FailureInfo,
  type PkiMessage,
  type StatusInfo,
} from "./messages";
import {
  certFields,
  keyIdOf,
  macProtection,
  protect,
  protectionAlgorithm,
  ProtectionError,
  TrustAnchors,
  verifyAnswer,
  type Protection,
} from "./protection";
import { CmpSettings, nameFromSlashForm, type ParsedCmpSettings } from "./settings";
import {
  deserialize,
  memoryTransactionStore,
  serialize,
  type CmpTransactionStore,
  type Transaction,
} from "./transactions";

export { CmpSettings } from "./settings";
export type { CmpTransactionStore } from "./transactions";

/** Refusals a later attempt may overcome: the CA is busy or broken, or it could not check our message. */
const RETRYABLE_FAILURES: ReadonlySet<FailureInfo> = new Set([
  "transactionIdInUse",
  "systemUnavail",
  "systemFailure",
  "timeNotAvailable",
  "badMessageCheck",
  "wrongIntegrity",
  "signerNotTrusted",
  "badRecipientNonce",
  "badSenderNonce",
  "badTime",
]);

const MAX_ANSWER_BYTES = 1 << 20;
const MAX_POLLS = 1000;

export interface CmpIssuerOptions {
  /** the RA's key when it is not a file (e.g. a Pkcs11Signer); CmpSettings.certPem names its certificate */
  signer?: Signer;
  /**
   * Where transactions open between two renew() calls are kept (waiting, or issued and not yet confirmed); by
   * default this process's memory. A store that outlives the process lets a retry after a restart continue them.
   */
  transactions?: CmpTransactionStore;
  /** the clock for certificate validity checks (tests) */
  now?: () => Date;
  /**
   * Told about every request/answer pair, refused answers included: what the caller records as an audit event
   * ("every upstream exchange is an audit event: request digest, answer status"). It must not throw.
   */
  onExchange?: (e: CmpExchange) => void;
}

export interface CmpExchange {
  transactionId: string;
  /** kur, p10cr, certConf, pollReq, rr */
  request: string;
  /** SHA-256 of the whole request message, hex */
  requestSha256: string;
  /** kup, cp, pollRep, rp, pkiconf, error; undefined when no answer could be read */
  answer?: string;
  /** PKIStatus of the answer, if it carries one (pollRep counts as waiting) */
  pkiStatus?: number;
  /** why the exchange failed, if it did */
  error?: string;
}

export function createCmpIssuer(input: CmpSettings, options: CmpIssuerOptions = {}): UpstreamIssuer {
  return new CmpIssuer(CmpSettings.parse(input), options);
}

class CmpIssuer implements UpstreamIssuer {
  readonly kind = "cmp" as const;
  readonly #s: ParsedCmpSettings;
  readonly #protection: Protection;
  readonly #trust: TrustAnchors;
  readonly #sender: Buffer;
  readonly #senderKID?: Buffer;
  readonly #now: () => Date;
  readonly #open: CmpTransactionStore;
  readonly #onExchange?: (e: CmpExchange) => void;

  constructor(s: ParsedCmpSettings, options: CmpIssuerOptions) {
    this.#s = s;
    this.#now = options.now ?? (() => new Date());
    this.#onExchange = options.onExchange;
    this.#open = options.transactions ?? memoryTransactionStore();
    this.#trust = new TrustAnchors(pemBlocks(s.trustedPem, "CERTIFICATE"));
    if (s.ref && s.secret) {
      this.#protection = macProtection(Buffer.from(s.ref, "utf8"), Buffer.from(s.secret, "utf8"));
      this.#senderKID = Buffer.from(s.ref, "utf8");
      this.#sender = directoryName(s.sender ? nameFromSlashForm(s.sender) : NULL_DN);
    } else {
      const chain = pemBlocks(s.certPem ?? "", "CERTIFICATE");
      const signer =
        options.signer ??
        new FileSigner(createPrivateKey({ key: s.keyPem ?? "", format: "pem", passphrase: s.keyPassphrase }));
      if (
        !Buffer.from(new X509Certificate(chain[0]).publicKey.export({ type: "spki", format: "der" })).equals(
          signer.publicKeySpki,
        )
      )
        throw new Error("CMP_KEY is not the key of CMP_CERT's first certificate");
      this.#protection = { kind: "signature", signer, certChainDer: chain };
      this.#senderKID = keyIdOf(new X509Certificate(chain[0]));
      this.#sender = directoryName(s.sender ? nameFromSlashForm(s.sender) : certFields(chain[0]).subject);
    }
  }

  async renew(req: RenewalRequest): Promise<RenewalOutcome> {
    checkTransactionId(req.transactionId);
    const key = req.transactionId.toString("hex");
    const stored = await this.#open.get(key);
    const open = stored === undefined ? undefined : deserialize(stored);
    const deadline = Date.now() + this.#s.maxWaitSeconds * 1000;
    if (open?.kind === "waiting") return this.#poll(open.tx, open.certReqId, req, deadline);
    if (open?.kind === "confirming") return this.#confirm(open.tx, open.certReqId, open.certDer, open.chainDer, key);
    const old = certFields(req.oldCertDer);
    const tx: Transaction = { id: req.transactionId, recipient: this.#recipient(old.issuer) };
    const body =
      this.#s.renewalRequest === "p10cr"
        ? p10crBody(req.csrDer)
        : kurBody({
            oldIssuerDer: old.issuer,
            oldSerialDer: old.serial,
            subjectDer: req.subjectDer,
            spki: req.spki,
            // the period the holder paid for; a CA may still shorten it (grantedWithMods)
            notBefore: req.notBefore,
            notAfter: req.notAfter,
          });
    const answer = await this.#exchange(tx, body);
    return this.#certAnswer(tx, answer, req, deadline);
  }

  async revoke(req: RevocationRequest): Promise<void> {
    checkTransactionId(req.transactionId);
    const cert = certFields(req.certDer);
    const tx: Transaction = { id: req.transactionId, recipient: this.#recipient(cert.issuer) };
    const answer = await this.#exchange(tx, rrBody(cert.issuer, cert.serial, req.reason));
    const status =
      answer.bodyType === BODY.error
        ? this.#read(() => parseErrorMsg(answer.body))
        : answer.bodyType === BODY.rp
          ? this.#read(() => parseRevRep(answer.body))
          : this.#unexpected(answer, "rp");
    if (status.status === PKI_STATUS.rejection && status.failures.includes("certRevoked")) return;
    if (status.status === PKI_STATUS.waiting) throw refusal("CMP CA is not ready to revoke yet", status, true);
    if (status.status === PKI_STATUS.rejection || answer.bodyType === BODY.error)
      throw refusal("CMP CA refused the revocation", status);
  }

  #recipient(issuerDer: Buffer): Buffer {
    return directoryName(this.#s.recipient ? nameFromSlashForm(this.#s.recipient) : issuerDer);
  }

  /** One request/answer: protect, POST, then check the answer's protection, transactionID and recipNonce. */
  async #exchange(tx: Transaction, body: Buffer): Promise<PkiMessage> {
    const request = BODY_NAME[body[0] & 0x1f] ?? String(body[0] & 0x1f);
    const event: CmpExchange = { transactionId: tx.id.toString("hex"), request, requestSha256: "" };
    try {
      const answer = await this.#send(tx, body, (message) => {
        event.requestSha256 = createHash("sha256").update(message).digest("hex");
      });
      event.answer = BODY_NAME[answer.bodyType] ?? String(answer.bodyType);
      event.pkiStatus = statusOf(answer);
      return answer;
    } catch (e) {
      event.error = (e as Error).message;
      throw e;
    } finally {
      this.#onExchange?.(event);
    }
  }

  async #send(tx: Transaction, body: Buffer, sending: (message: Buffer) => void): Promise<PkiMessage> {
    const senderNonce = randomBytes(16);
    const protectionAlg = protectionAlgorithm(this.#protection);
    const header = encodeHeader({
      sender: this.#sender,
      recipient: tx.recipient,
      messageTime: new Date(),
      protectionAlg,
      senderKID: this.#senderKID,
      transactionID: tx.id,
      senderNonce,
      recipNonce: tx.caNonce,
    });
    const protection = await protect(this.#protection, protectionAlg, protectedPart(header, body));
    const extraCerts = this.#protection.kind === "signature" ? this.#protection.certChainDer : [];
    const message = encodeMessage(header, body, protection, extraCerts);
    sending(message);
    const bytes = await this.#post(message);

    const answer = this.#read(() => parseMessage(bytes));
    const h = answer.header;
    if (h.pvno !== 2 && h.pvno !== 3) throw garbage(`CMP answer with pvno ${h.pvno}`);
    try {
      verifyAnswer(
        {
          protectionAlg: h.protectionAlg,
          protection: answer.protection,
          senderName: h.sender.tag === 0xa4 ? Buffer.from(raw(this.#read(() => firstChild(h.sender)))) : undefined,
          senderKID: h.senderKID,
          protectedPart: protectedPart(answer.headerDer, answer.bodyDer),
          extraCerts: answer.extraCerts,
        },
        this.#protection,
        this.#trust,
        this.#now(),
      );
    } catch (e) {
      if (e instanceof ProtectionError || e instanceof DerError)
        throw new UpstreamError(`CMP answer refused: ${e.message}`, true, { reason: "protection" });
      throw e;
    }
    if (!h.transactionID?.equals(tx.id)) throw garbage("CMP answer for another transaction");
    if (!h.recipNonce?.equals(senderNonce)) throw garbage("CMP answer's recipNonce is not our senderNonce");
    if (!h.senderNonce || h.senderNonce.length < 16) throw garbage("CMP answer without a senderNonce");
    tx.caNonce = h.senderNonce;
    return answer;
  }

  /**
   * POST over node:http(s), one connection per message (Connection: close): OpenSSL's server keeps a kept-alive
   * connection's transaction only as long as that connection lives, and fetch's pool may not reuse it.
   */
  #post(message: Buffer): Promise<Buffer> {
    const url = new URL(this.#s.serverUrl);
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<Buffer>((resolve, reject) => {
      const req = request(url, {
        method: "POST",
        agent: false,
        ...(this.#s.tlsTrustedPem ? { ca: this.#s.tlsTrustedPem } : {}),
        timeout: this.#s.timeoutMs,
        headers: {
          "content-type": "application/pkixcmp",
          accept: "application/pkixcmp",
          "content-length": message.length,
          connection: "close",
        },
      });
      const fail = (reason: string, e?: Error) => {
        req.destroy();
        reject(new UpstreamError(`CMP server ${reason}${e ? `: ${e.message}` : ""}`, true, { reason }));
      };
      // one deadline for the whole exchange, not only for idle sockets
      const timer = setTimeout(() => fail("timeout"), this.#s.timeoutMs);
      req.on("timeout", () => fail("timeout"));
      req.on("error", (e) => fail("unreachable", e));
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) fail("answer too large");
          else chunks.push(c);
        });
        res.on("error", (e) => fail("unreachable", e));
        res.on("end", () => {
          clearTimeout(timer);
          // RFC 6712: a CMP answer is a PKIMessage even for errors, whatever the HTTP status; anything else is garbage
          if (!/^application\/pkixcmp/i.test(res.headers["content-type"] ?? ""))
            reject(
              new UpstreamError(`CMP server answered HTTP ${res.statusCode} without a PKIMessage`, true, {
                reason: "http",
                status: res.statusCode ?? 0,
              }),
            );
          else resolve(Buffer.concat(chunks));
        });
      });
      req.on("close", () => clearTimeout(timer));
      req.end(message);
    });
  }

  #read<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof DerError) throw garbage(`malformed CMP answer: ${e.message}`);
      throw e;
    }
  }

  #unexpected(answer: PkiMessage, wanted: string): never {
    throw garbage(`CMP answer ${BODY_NAME[answer.bodyType] ?? answer.bodyType} where ${wanted} was expected`);
  }

  /** ip/cp/kup (or an error) to a certification request or a pollReq. */
  async #certAnswer(
    tx: Transaction,
    answer: PkiMessage,
    req: RenewalRequest,
    deadline: number,
  ): Promise<RenewalOutcome> {
    const expectedId = this.#s.renewalRequest === "p10cr" ? CERT_REQ_ID_NONE : CERT_REQ_ID;
    if (answer.bodyType === BODY.error) {
      const e = this.#read(() => parseErrorMsg(answer.body));
      // delayed delivery (RFC 9483 4.4): an error with status waiting, then polling
      if (e.status === PKI_STATUS.waiting) return this.#poll(tx, expectedId, req, deadline);
      throw refusal("CMP CA refused the renewal", e);
    }
    if (answer.bodyType !== BODY.kup && answer.bodyType !== BODY.cp && answer.bodyType !== BODY.ip)
      this.#unexpected(answer, "kup");
    const rep = this.#read(() => parseCertRep(answer.body));
    const { status } = rep;
    if (rep.certReqId !== expectedId) throw garbage(`CMP answer for certReqId ${rep.certReqId}`);
    if (status.status === PKI_STATUS.waiting) return this.#poll(tx, rep.certReqId, req, deadline);
    if (status.status === PKI_STATUS.rejection) throw refusal("CMP CA refused the renewal", status);
    if (
      status.status !== PKI_STATUS.accepted &&
      status.status !== PKI_STATUS.grantedWithMods &&
      status.status !== PKI_STATUS.keyUpdateWarning
    )
      throw garbage(`CMP certificate answer with status ${status.status}`);
    if (!rep.certDer) throw garbage("CMP CA accepted the request but sent no certificate");

    const certDer = rep.certDer;
    let chainDer: Buffer[];
    try {
      if (!certFields(certDer).spki.equals(req.spki))
        throw new ProtectionError("the certificate is for another public key");
      chainDer = this.#trust
        .path(certDer, [...answer.extraCerts, ...rep.caPubs], this.#now())
        .slice(1)
        .filter((c) => !(c.checkIssued(c) && c.verify(c.publicKey)))
        .map((c) => Buffer.from(c.raw));
    } catch (e) {
      const message = (e as Error).message;
      await this.#exchange(
        tx,
        certConfBody(certHash(certDer), rep.certReqId, { failure: "badCertTemplate", text: message }),
      ).catch(() => undefined);
      throw new UpstreamError(`CMP CA issued an unacceptable certificate: ${message}`, false, {
        reason: "certificate",
      });
    }
    return this.#confirm(tx, rep.certReqId, certDer, chainDer, tx.id.toString("hex"));
  }

  /** certConf → pkiconf; an answer lost on the way leaves the transaction open for the next renew(). */
  async #confirm(
    tx: Transaction,
    certReqId: number,
    certDer: Buffer,
    chainDer: Buffer[],
    key: string,
  ): Promise<RenewalOutcome> {
    await this.#open.set(key, serialize({ kind: "confirming", tx, certReqId, certDer, chainDer }));
    const answer = await this.#exchange(tx, certConfBody(certHash(certDer), certReqId));
    if (answer.bodyType === BODY.error) {
      // e.g. a re-sent certConf the CA had already closed: start over with the same transactionID next time
      await this.#open.delete(key);
      throw refusal(
        "CMP CA refused the confirmation",
        this.#read(() => parseErrorMsg(answer.body)),
        true,
      );
    }
    if (answer.bodyType !== BODY.pkiconf) this.#unexpected(answer, "pkiconf");
    this.#read(() => checkPkiConf(answer.body));
    await this.#open.delete(key);
    return { status: "issued", certDer, chainDer };
  }

  /** pollReq until the certificate comes, the CA refuses, or the wait would pass `deadline` (then `pending`). */
  async #poll(tx: Transaction, certReqId: number, req: RenewalRequest, deadline: number): Promise<RenewalOutcome> {
    const key = tx.id.toString("hex");
    for (let i = 0; i < MAX_POLLS; i++) {
      // down or garbage: the transaction stays open, the next renew() polls again
      const answer = await this.#exchange(tx, pollReqBody(certReqId));
      if (answer.bodyType !== BODY.pollRep) {
        await this.#open.delete(key);
        return this.#certAnswer(tx, answer, req, deadline);
      }
      const rep = this.#read(() => parsePollRep(answer.body));
      const after = Math.max(0, rep.checkAfter);
      if (Date.now() + after * 1000 > deadline) {
        await this.#open.set(key, serialize({ kind: "waiting", tx, certReqId }));
        return { status: "pending", retryAfterSeconds: Math.max(1, after) };
      }
      await sleep(after * 1000);
    }
    await this.#open.delete(key);
    throw new UpstreamError("CMP CA kept the request waiting too long", true, { reason: "waiting" });
  }
}

/** certHash: the certificate hashed with its signature's hash algorithm (RFC 9481 / RFC 4210 5.3.18). */
function certHash(certDer: Buffer): Buffer {
  return createHash(hashOfSignature(certDer)).update(certDer).digest();
}

function hashOfSignature(certDer: Buffer): string {
  const sigAlg = algorithmOf(children(readAll(certDer))[1]).oid;
  if (sigAlg === OID.sha384WithRSA || sigAlg === OID.ecdsaSha384) return "sha384";
  if (sigAlg === OID.sha512WithRSA || sigAlg === OID.ecdsaSha512) return "sha512";
  if (sigAlg === OID.sha1WithRSA || sigAlg === OID.ecdsaSha1) return "sha1";
  return "sha256";
}

function firstChild(n: Node): Node {
  const [c] = children(n);
  if (!c) throw new DerError("empty GeneralName");
  return c;
}

/** The PKIStatus an answer carries, for the exchange record; undefined if it has none or cannot be read. */
function statusOf(answer: PkiMessage): number | undefined {
  try {
    switch (answer.bodyType) {
      case BODY.ip:
      case BODY.cp:
      case BODY.kup:
        return parseCertRep(answer.body).status.status;
      case BODY.rp:
        return parseRevRep(answer.body).status;
      case BODY.error:
        return parseErrorMsg(answer.body).status;
      case BODY.pollRep:
        return PKI_STATUS.waiting;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** RFC 9483 3.1: 128 bits, so that transactions of different RAs do not collide at the CA. */
function checkTransactionId(id: Buffer) {
  if (id.length < 16 || id.length > 64) throw new Error("CMP transactionID must be 16 to 64 bytes");
}

function garbage(message: string): UpstreamError {
  return new UpstreamError(message, true, { reason: "garbage" });
}

function refusal(message: string, s: StatusInfo, retryable = false): UpstreamError {
  const canRetry = retryable || s.status === PKI_STATUS.waiting || s.failures.some((f) => RETRYABLE_FAILURES.has(f));
  const text = s.text.join("; ");
  return new UpstreamError(`${message}${text ? `: ${text}` : ""}`, canRetry, {
    reason: "refused",
    pkiStatus: s.status,
    failInfo: s.failures.join(","),
  });
}
