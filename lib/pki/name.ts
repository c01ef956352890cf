import * as asn1js from "asn1js";
import { elementsOf, fromDer, nodeOf } from "./asn1";
import { DerError, oid, printable, raw, seq, set, utf8, type Node } from "./der";
import { OID } from "./oids";

/** Subject fields of a holder certificate, in the order they are written (C first, CN last). */
export interface SubjectFields {
  C: string;
  ST?: string;
  L?: string;
  O?: string;
  OU?: string;
  CN: string;
}

const ORDER = ["C", "ST", "L", "O", "OU", "CN"] as const;
const SHORT: Record<string, string> = Object.fromEntries(ORDER.map((k) => [OID[k], k]));
SHORT[OID.emailAddress] = "E";

/** One SET per attribute (a multi-valued RDN would print as `O=x + CN=y`). C is PrintableString, the rest UTF8. */
export function encodeName(fields: SubjectFields): Buffer {
  const rdns: Buffer[] = [];
  for (const k of ORDER) {
    const v = fields[k];
    if (v === undefined || v === "") continue;
    rdns.push(set(seq(oid(OID[k]), k === "C" ? printable(v) : utf8(v))));
  }
  return seq(...rdns);
}

function escapeValue(v: string): string {
  return v
    .replace(/([,+"\\<>;=])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/ $/, "\\ ");
}

/** The attributes of a Name, one array per RDN (most general first), with the value as its string type decodes. */
function attributes(name: Node): { type: string; value: string }[][] {
  const buf = raw(name);
  const root = fromDer(buf);
  if (!(root instanceof asn1js.Sequence)) throw new DerError("expected a SEQUENCE");
  return elementsOf(root).map((rdn) => {
    if (!(rdn instanceof asn1js.Set)) throw new DerError("expected a SET");
    return elementsOf(rdn).map((atv) => {
      const [type, value] = elementsOf(atv);
      if (!(type instanceof asn1js.ObjectIdentifier) || !value) throw new DerError("attribute without value");
      const n = nodeOf(value, buf);
      return { type: type.valueBlock.toString(), value: decodeString(n.tag, buf.subarray(n.contentStart, n.end)) };
    });
  });
}

function decodeString(tag: number, b: Buffer): string {
  if (tag === 0x1e) {
    // BMPString: UTF-16 big-endian
    if (b.length % 2) throw new DerError("odd BMPString");
    return Buffer.from(b).swap16().toString("utf16le");
  }
  return b.toString(tag === 0x0c ? "utf8" : "latin1");
}

/** RFC 4514 string (most specific first), e.g. `CN=测试证书,OU=I370101,L=dezhou,ST=SD,C=CN`. */
export function formatName(name: Node): string {
  return attributes(name)
    .map((rdn) => rdn.map((a) => `${SHORT[a.type] ?? a.type}=${escapeValue(a.value)}`).join("+"))
    .reverse()
    .join(",");
}

/** The value of the last (most specific) CN attribute, if any. */
export function commonName(name: Node): string | undefined {
  return attributes(name)
    .flat()
    .findLast((a) => a.type === OID.CN)?.value;
}

/** The subject fields a CA's API takes (cfssl's `subject`), read from a Name; the last value of each kind wins. */
export function nameFields(name: Node): Partial<SubjectFields> {
  const out: Partial<SubjectFields> = {};
  for (const a of attributes(name).flat()) {
    const k = SHORT[a.type];
    if (k && k !== "E") out[k as keyof SubjectFields] = a.value;
  }
  return out;
}
