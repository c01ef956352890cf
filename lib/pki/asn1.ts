import * as asn1js from "asn1js";
import { DerError, type Node } from "./der";

/** A Buffer over the same memory as `view` (no copy): asn1js/pkijs hand out Uint8Array views of the input. */
export function bytesOf(view: Uint8Array | ArrayBuffer): Buffer {
  return view instanceof ArrayBuffer ? Buffer.from(view) : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** asn1js parse of one element that must fill `der` exactly. Throws DerError otherwise. */
export function fromDer(der: Buffer): asn1js.AsnType {
  if (der.length === 0) throw new DerError("empty");
  let asn1: asn1js.FromBerResult;
  try {
    // no copy (nodeOf/rawOf point into `der`); BIT/OCTET STRING contents are not parsed as nested ASN.1 unless asked
    asn1 = asn1js.fromBER(der, { copyInput: false, parseEmbedded: false });
  } catch (e) {
    // asn1js throws for some contents (e.g. a malformed GeneralizedTime) instead of reporting an error
    throw new DerError(e instanceof Error ? e.message : "unreadable ASN.1");
  }
  if (asn1.offset === -1) throw new DerError(asn1.result.error || "unreadable ASN.1");
  if (asn1.offset !== der.length) throw new DerError("trailing data");
  return asn1.result;
}

/**
 * A pkijs object read from DER (e.g. `decodePki(der, (schema) => new pkijs.Certificate({ schema }))`), with the
 * asn1js tree it came from. Any failure is a DerError, so callers map one error type to their domain code.
 */
export function decodePki<T>(der: Buffer, make: (schema: asn1js.AsnType) => T): { value: T; tree: asn1js.AsnType } {
  const tree = fromDer(der);
  try {
    return { value: make(tree), tree };
  } catch (e) {
    throw new DerError(e instanceof Error ? e.message : "unexpected structure");
  }
}

/** The elements of a constructed asn1js block (SEQUENCE, SET, [n] EXPLICIT). */
export function elementsOf(block: asn1js.AsnType | undefined): asn1js.AsnType[] {
  const value = (block as asn1js.Constructed | undefined)?.valueBlock?.value;
  if (!block || !(block as asn1js.BaseBlock).idBlock.isConstructed || !Array.isArray(value))
    throw new DerError("expected a constructed element");
  return value;
}

/** The DER bytes an asn1js block was decoded from (a view of the input, not a re-encoding). */
export function rawOf(block: asn1js.AsnType): Buffer {
  return bytesOf((block as asn1js.BaseBlock).valueBeforeDecodeView);
}

/** A der.ts `Node` locating an asn1js block inside `buf`, the buffer it was decoded from. */
export function nodeOf(block: asn1js.AsnType, buf: Buffer): Node {
  const b = block as asn1js.BaseBlock;
  const view = b.valueBeforeDecodeView;
  const start = view.byteOffset - buf.byteOffset;
  if (view.buffer !== buf.buffer || start < 0 || start + view.byteLength > buf.length)
    throw new DerError("element outside its buffer");
  return {
    tag: view[0],
    start,
    contentStart: start + b.idBlock.blockLength + b.lenBlock.blockLength,
    end: start + view.byteLength,
    buf,
  };
}

/** Lowercase hex of an INTEGER's content bytes (serial numbers, as stored in Certificate.serial). */
export function integerHex(i: asn1js.Integer): string {
  const hex = bytesOf(i.valueBlock.valueHexView).toString("hex");
  if (!hex) throw new DerError("empty INTEGER");
  return hex;
}

/** Content of a BIT STRING that must have no unused bits (keys, signatures). */
export function bitStringBytes(b: asn1js.BitString): Buffer {
  if (!(b instanceof asn1js.BitString) || b.valueBlock.unusedBits !== 0) throw new DerError("bad BIT STRING");
  return bytesOf(b.valueBlock.valueHexView);
}
