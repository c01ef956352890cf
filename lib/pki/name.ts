import { DerError, children, expect, oid, printable, read, readOid, readString, seq, set, utf8, type Node } from "./der";
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
  return v.replace(/([,+"\\<>;=])/g, "\\$1").replace(/^([ #])/, "\\$1").replace(/ $/, "\\ ");
}

/** RFC 4514 string (most specific first), e.g. `CN=测试证书,OU=I370101,L=dezhou,ST=SD,C=CN`. */
export function formatName(name: Node): string {
  const parts: string[] = [];
  for (const rdn of children(expect(name, 0x30))) {
    const atvs = children(expect(rdn, 0x31)).map((atv) => {
      const [type, value] = children(expect(atv, 0x30));
      if (!value) throw new DerError("attribute without value");
      const o = readOid(type);
      return `${SHORT[o] ?? o}=${escapeValue(readString(value))}`;
    });
    parts.unshift(atvs.join("+"));
  }
  return parts.join(",");
}

/** The value of the last (most specific) CN attribute, if any. */
export function commonName(name: Node): string | undefined {
  let cn: string | undefined;
  for (const rdn of children(expect(name, 0x30))) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      if (readOid(type) === OID.CN && value) cn = readString(value);
    }
  }
  return cn;
}

export function formatNameDer(der: Buffer): string {
  return formatName(read(der));
}
