import "@/tests/helpers/env";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { rmSync } from "node:fs";
import * as asn1js from "asn1js";
import fc from "fast-check";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestCa } from "@/tests/helpers/pki";
import type { Ca } from "./ca";
import {
  DerError,
  bits,
  bool,
  children,
  derOrder,
  enumerated,
  explicit,
  generalizedTime,
  implicitPrim,
  nul,
  octets,
  oid,
  printable,
  read,
  readAll,
  readOid,
  seq,
  set,
  time,
  tlv,
  uint,
  utf8,
  walk,
} from "./der";
import { addOneYear, buildCertificate, randomSerialHex } from "./issue";
import { encodeName } from "./name";
import { PROFILES } from "./profiles";

/** asn1js's reading of `der`, which must be one complete element. */
function parse(der: Buffer): asn1js.AsnType {
  const r = asn1js.fromBER(new Uint8Array(der));
  expect(r.offset).toBe(der.length);
  expect(r.result.error).toBe("");
  return r.result;
}

/** asn1js encodes what it read to the same bytes (our output is the encoding asn1js would write). */
function reencodes(der: Buffer): asn1js.AsnType {
  const block = parse(der);
  expect(Buffer.from(block.toBER(false))).toEqual(der);
  return block;
}

const hex = (view: Uint8Array) => Buffer.from(view).toString("hex");
const bytes = (max = 300) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
/** content sizes across the length forms: short, 0x81, 0x82, 0x83 */
const anySize = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0xff }),
  fc.integer({ min: 0x100, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0x10100 }),
);
const PRINTABLE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?";
const oidArcs = fc
  .tuple(
    fc.constantFrom(0, 1, 2),
    fc.integer({ min: 0, max: 1e6 }),
    fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 40 })), { maxLength: 8 }),
  )
  .map(([a, b, rest]) => [a, a < 2 ? b % 40 : b, ...rest].join("."));
/** whole seconds; `from`..`to` as years */
const dateIn = (from: number, to: number) =>
  fc
    .integer({ min: Date.UTC(from, 0, 1), max: Date.UTC(to, 11, 31, 23, 59, 59) })
    .map((ms) => new Date(Math.floor(ms / 1000) * 1000));

describe("der.ts writers round-trip through asn1js", () => {
  it("INTEGER: uint() from bytes or a number is the minimal two's-complement encoding of that non-negative value", () => {
    fc.assert(
      fc.property(bytes(40), (b) => {
        const der = uint(b);
        const value = b.length ? BigInt(`0x${b.toString("hex")}`) : 0n;
        const block = reencodes(der) as asn1js.Integer;
        expect(block).toBeInstanceOf(asn1js.Integer);
        expect(block.toBigInt()).toBe(value);
        expect(der).toEqual(Buffer.from(asn1js.Integer.fromBigInt(value).toBER()));
      }),
    );
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const der = uint(n);
        expect((reencodes(der) as asn1js.Integer).toBigInt()).toBe(BigInt(n));
        expect(der).toEqual(Buffer.from(asn1js.Integer.fromBigInt(BigInt(n)).toBER()));
      }),
    );
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN]) expect(() => uint(bad)).toThrow(DerError);
  });

  it("ENUMERATED", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (n) => {
        const block = reencodes(enumerated(n)) as asn1js.Enumerated;
        expect(block).toBeInstanceOf(asn1js.Enumerated);
        expect(block.toBigInt()).toBe(BigInt(n));
      }),
    );
  });

  it("OBJECT IDENTIFIER: oid() writes what asn1js writes, and readOid() reads it back", () => {
    fc.assert(
      fc.property(oidArcs, (dotted) => {
        const der = oid(dotted);
        const block = reencodes(der) as asn1js.ObjectIdentifier;
        expect(block).toBeInstanceOf(asn1js.ObjectIdentifier);
        expect(block.valueBlock.toString()).toBe(dotted);
        expect(der).toEqual(Buffer.from(new asn1js.ObjectIdentifier({ value: dotted }).toBER()));
        expect(readOid(readAll(der))).toBe(dotted);
      }),
    );
    // the first two arcs share one subidentifier, which may itself need several base-128 groups
    expect(oid("2.999.3").toString("hex")).toBe("0603883703");
    expect(oid("1.2.840.113549.1.1.11").toString("hex")).toBe("06092a864886f70d01010b");
  });

  it("PrintableString over its whole alphabet", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...PRINTABLE_ALPHABET), maxLength: 200 }), (s) => {
        const block = reencodes(printable(s)) as asn1js.PrintableString;
        expect(block).toBeInstanceOf(asn1js.PrintableString);
        expect(block.valueBlock.value).toBe(s);
      }),
    );
  });

  it("UTF8String", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 100 }), (s) => {
        const block = reencodes(utf8(s)) as asn1js.Utf8String;
        expect(block).toBeInstanceOf(asn1js.Utf8String);
        expect(block.valueBlock.value).toBe(s);
      }),
    );
  });

  it("OCTET STRING and BIT STRING (no unused bits), across every length form", () => {
    fc.assert(
      fc.property(anySize, fc.integer({ min: 0, max: 255 }), (size, fill) => {
        const b = Buffer.alloc(size, fill);
        const o = reencodes(octets(b)) as asn1js.OctetString;
        expect(o).toBeInstanceOf(asn1js.OctetString);
        expect(hex(o.valueBlock.valueHexView)).toBe(b.toString("hex"));
        const s = reencodes(bits(b)) as asn1js.BitString;
        expect(s).toBeInstanceOf(asn1js.BitString);
        expect(s.valueBlock.unusedBits).toBe(0);
        expect(hex(s.valueBlock.valueHexView)).toBe(b.toString("hex"));
      }),
      { numRuns: 20 },
    );
  });

  it("NULL and BOOLEAN", () => {
    expect(reencodes(nul())).toBeInstanceOf(asn1js.Null);
    for (const v of [true, false]) {
      const block = reencodes(bool(v)) as asn1js.Boolean;
      expect(block).toBeInstanceOf(asn1js.Boolean);
      expect(block.valueBlock.value).toBe(v);
    }
    // DER: TRUE is all ones
    expect(bool(true).toString("hex")).toBe("0101ff");
  });

  it("SEQUENCE, SET, [n] EXPLICIT and [n] IMPLICIT around any contents, and the strict reader reads them back", () => {
    const element = fc.oneof(
      bytes(40).map(octets),
      fc.maxSafeNat().map(uint),
      oidArcs.map(oid),
      anySize.map((n) => octets(Buffer.alloc(n, 7))),
    );
    fc.assert(
      fc.property(fc.array(element, { maxLength: 6 }), fc.integer({ min: 0, max: 30 }), (elements, n) => {
        const s = reencodes(seq(...elements)) as asn1js.Sequence;
        expect(s).toBeInstanceOf(asn1js.Sequence);
        expect(s.valueBlock.value.map((v) => Buffer.from(v.toBER()))).toEqual(elements);
        expect(children(readAll(seq(...elements))).map((c) => c.buf.subarray(c.start, c.end))).toEqual(elements);

        const st = reencodes(set(...elements)) as asn1js.Set;
        expect(st).toBeInstanceOf(asn1js.Set);
        expect(st.valueBlock.value).toHaveLength(elements.length);

        const e = reencodes(explicit(n, ...elements)) as asn1js.Constructed;
        expect([e.idBlock.tagClass, e.idBlock.tagNumber, e.idBlock.isConstructed]).toEqual([3, n, true]);
        expect(e.valueBlock.value.map((v) => Buffer.from(v.toBER()))).toEqual(elements);
        walk(readAll(explicit(n, seq(...elements))));

        const body = Buffer.concat(elements);
        const i = reencodes(implicitPrim(n, body)) as asn1js.Primitive;
        expect([i.idBlock.tagClass, i.idBlock.tagNumber, i.idBlock.isConstructed]).toEqual([3, n, false]);
        expect(hex(i.valueBlock.valueHexView)).toBe(body.toString("hex"));
      }),
      { numRuns: 30 },
    );
    for (const bad of [-1, 31, 1.5]) {
      expect(() => explicit(bad, nul())).toThrow(DerError);
      expect(() => implicitPrim(bad, Buffer.alloc(1))).toThrow(DerError);
    }
  });

  it("tlv() uses the shortest length form", () => {
    expect(tlv(0x04, Buffer.alloc(0x7f)).subarray(0, 2).toString("hex")).toBe("047f");
    expect(tlv(0x04, Buffer.alloc(0x80)).subarray(0, 3).toString("hex")).toBe("048180");
    expect(tlv(0x04, Buffer.alloc(0x100)).subarray(0, 4).toString("hex")).toBe("04820100");
    expect(tlv(0x04, Buffer.alloc(0x10000)).subarray(0, 5).toString("hex")).toBe("0483010000");
  });
});

describe("times (RFC 5280: UTCTime for 1950 through 2049, GeneralizedTime before and after)", () => {
  it("time() writes UTCTime for 1950–2049 and GeneralizedTime from 2050, both reading back as the same second", () => {
    fc.assert(
      fc.property(dateIn(1950, 2049), (d) => {
        const block = parse(time(d));
        expect(block).toBeInstanceOf(asn1js.UTCTime);
        expect((block as asn1js.UTCTime).toDate().getTime()).toBe(d.getTime());
      }),
    );
    fc.assert(
      fc.property(fc.oneof(dateIn(2050, 9999), dateIn(1, 1949)), (d) => {
        const block = parse(time(d));
        expect(block).toBeInstanceOf(asn1js.GeneralizedTime);
        expect((block as asn1js.GeneralizedTime).toDate().getTime()).toBe(d.getTime());
        expect(time(d)).toEqual(generalizedTime(d));
      }),
    );
  });

  it("switches exactly at 2050-01-01T00:00:00Z (and at 1950), in whole seconds UTC", () => {
    const text = (d: string) => time(new Date(d)).subarray(2).toString("ascii");
    expect(time(new Date("2049-12-31T23:59:59Z"))[0]).toBe(0x17);
    expect(text("2049-12-31T23:59:59.999Z")).toBe("491231235959Z");
    expect(time(new Date("2050-01-01T00:00:00Z"))[0]).toBe(0x18);
    expect(text("2050-01-01T00:00:00Z")).toBe("20500101000000Z");
    expect(text("1950-01-01T00:00:00Z")).toBe("500101000000Z");
    expect(text("1949-12-31T23:59:59Z")).toBe("19491231235959Z");
    expect(() => time(new Date(Number.NaN))).toThrow(DerError);
    expect(() => generalizedTime(new Date("+010000-01-01T00:00:00Z"))).toThrow(DerError);
  });
});

describe("DER SET OF ordering", () => {
  /** X.690 11.6: ascending as octet strings, the shorter padded at its end with zero octets */
  function x690Compare(a: Buffer, b: Buffer): number {
    const n = Math.max(a.length, b.length);
    return Buffer.compare(
      Buffer.concat([a, Buffer.alloc(n - a.length)]),
      Buffer.concat([b, Buffer.alloc(n - b.length)]),
    );
  }

  it("set() and derOrder() put the elements in ascending order of their encodings, whatever order they come in", () => {
    const element = fc.oneof(bytes(20).map(octets), fc.maxSafeNat().map(uint), oidArcs.map(oid), bytes(3).map(bits));
    fc.assert(
      fc.property(fc.array(element, { maxLength: 8 }), fc.infiniteStream(fc.nat()), (elements, rand) => {
        const der = set(...elements);
        const inside = children(readAll(der)).map((c) => c.buf.subarray(c.start, c.end));
        for (let k = 1; k < inside.length; k++) expect(x690Compare(inside[k - 1], inside[k])).toBeLessThanOrEqual(0);
        expect([...inside].sort(Buffer.compare)).toEqual([...elements].sort(Buffer.compare));
        // any permutation of the same elements is the same encoding
        const shuffled = elements
          .map((e) => ({ e, k: rand.next().value }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.e);
        expect(set(...shuffled)).toEqual(der);
        expect(Buffer.concat(derOrder(shuffled))).toEqual(Buffer.concat(inside));
      }),
    );
    // the shorter content length sorts first here (its length octet is smaller)
    expect(set(octets(Buffer.from([1, 2])), octets(Buffer.from([1]))).toString("hex")).toBe(
      "3107" + "040101" + "04020102",
    );
  });

  it("does not reorder the caller's array", () => {
    const given = [uint(2), uint(1)];
    derOrder(given);
    expect(given).toEqual([uint(2), uint(1)]);
  });
});

describe("input validation", () => {
  it("oid() refuses anything that is not a dotted OBJECT IDENTIFIER", () => {
    for (const bad of [
      "",
      "1",
      "3.1",
      "0.40",
      "1.40",
      "1.2.",
      ".1.2",
      "1..2",
      "1.02",
      "01.2",
      "1.2.a",
      "1.2.-3",
      " 1.2",
      "1.2 ",
      "1.2.3e4",
      "2.5.4.3\n",
      "1.2.99999999999999999999",
      "2.9007199254740991",
    ])
      expect(() => oid(bad), JSON.stringify(bad)).toThrow(DerError);
    for (const good of ["0.0", "0.39", "1.39", "2.40", "2.999", "2.5.4.3", "1.2.9007199254740991"])
      expect(readOid(readAll(oid(good)))).toBe(good);
  });

  it("printable() refuses every character outside the PrintableString alphabet", () => {
    for (const bad of ["a@b", "a_b", "a*b", "a&b", "a;b", "<", ">", "!", '"', "#", "a\nb", "a\tb", "中国", "é", "\0"])
      expect(() => printable(bad), JSON.stringify(bad)).toThrow(DerError);
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 10 }), (s) => {
        const ok = [...s].every((c) => PRINTABLE_ALPHABET.includes(c));
        if (ok) expect(printable(s)[0]).toBe(0x13);
        else expect(() => printable(s)).toThrow(DerError);
      }),
    );
    expect(printable(PRINTABLE_ALPHABET).subarray(2).toString("ascii")).toBe(PRINTABLE_ALPHABET);
    // the subject's country is written with it
    expect(() => encodeName({ C: "C@", CN: "x" })).toThrow(DerError);
  });
});

describe("the strict reader", () => {
  const bad = (h: string) => () => readAll(Buffer.from(h, "hex"));
  it("refuses indefinite, non-minimal and oversized lengths, high tags, end-of-contents, wrong constructed bits, trailing data", () => {
    expect(bad("3080020101 0000".replace(/ /g, ""))).toThrow(DerError); // indefinite length
    expect(bad("04810100")).toThrow(DerError); // 1-byte length in long form
    expect(bad(`0482007f${"00".repeat(0x7f)}`)).toThrow(DerError); // leading zero length byte
    expect(bad("0485000000000100")).toThrow(DerError); // more than 4 length bytes
    expect(bad("1f2001ff")).toThrow(DerError); // high tag number
    expect(bad("0000")).toThrow(DerError);
    expect(bad("2400")).toThrow(DerError); // constructed OCTET STRING
    expect(bad("1000")).toThrow(DerError); // primitive SEQUENCE
    expect(bad("05000500")).toThrow(DerError); // trailing data
    expect(bad("040201")).toThrow(DerError); // truncated
    expect(() => readOid(read(Buffer.from("0603808001", "hex")))).toThrow(DerError); // non-minimal arc
    expect(() => readOid(read(Buffer.from("06022a86", "hex")))).toThrow(DerError); // unterminated arc
  });
});

describe("the issuance path writes notAfter as GeneralizedTime once it crosses 2050", () => {
  let ca: Ca;
  let dir: string;
  beforeAll(async () => ({ ca, dir } = await createTestCa("P-256")));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("old expiry 2049-08-15 + 1 year: notBefore UTCTime, notAfter GeneralizedTime 20500815…, read the same by OpenSSL", async () => {
    const spki = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" });
    const notBefore = new Date("2049-03-01T08:00:00Z");
    const notAfter = addOneYear(new Date("2049-08-15T10:20:30Z"));
    const der = await buildCertificate({
      subjectDer: encodeName({ C: "CN", CN: "x" }),
      spki,
      serial: randomSerialHex(),
      notBefore,
      notAfter,
      profile: PROFILES.personal,
      ca,
    });
    const cert = new pkijs.Certificate({ schema: parse(der) });
    expect(cert.notBefore.type).toBe(0); // UTCTime
    expect(cert.notAfter.type).toBe(1); // GeneralizedTime
    expect(cert.notAfter.value.toISOString()).toBe("2050-08-15T10:20:30.000Z");
    expect(Buffer.from(cert.notAfter.toSchema().toBER()).subarray(2).toString("ascii")).toBe("20500815102030Z");
    const x = new X509Certificate(der);
    expect(new Date(x.validTo).toISOString()).toBe("2050-08-15T10:20:30.000Z");
    expect(new Date(x.validFrom).toISOString()).toBe(notBefore.toISOString());
  });
});
