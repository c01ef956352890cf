import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { encryptField, type FieldKeys } from "../crypto/field";
import path from "node:path";
import { z } from "zod";
import type { Db } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import { registerCertificate, type HolderRecord } from "./register";
import { DerError } from "../pki/der";
import { certificateInfo } from "../pki/cert-info";
import { pemBlocks } from "../pki/x509";
import { withTx } from "../audit";

/**
 * Registry import (`npm run certs:import -- FILE`): a CSV with holder metadata, or PEM/DER certificate files.
 * Everything is checked first and every problem is reported with its line; then all rows go in one transaction.
 *
 * CSV columns (header row required, any order): cert_file (path relative to the CSV), holder_name,
 * holder_id_type, holder_id_number, cert_type (personal|organisation), payer_class (self|unified),
 * email (optional), token_serial (optional), admin_pin_enc (optional, RA mode's export from the operator: the token's
 * administrator (SO) PIN sealed with the import PIN key, see openAdminPin; a CSV with this column marks tokens
 * without a value as "admin PIN unknown": online unlock then tells the holder to come in person).
 */

export interface ImportRow {
  /** line in the source file (CSV) or the certificate's position in a PEM/DER file */
  line: number;
  der: Buffer;
  holder: HolderRecord;
  /** RA mode: the token's admin PIN from the operator's export (plain here, sealed with the field key when stored); null = unknown */
  adminPin?: string | null;
}

export interface ImportProblem {
  line: number;
  message: string;
}

const CsvRow = z.object({
  cert_file: z.string().min(1, "cert_file is empty"),
  holder_name: z.string().trim().min(1, "holder_name is empty").max(200),
  holder_id_type: z.string().trim().min(1, "holder_id_type is empty").max(40),
  holder_id_number: z.string().trim().min(4, "holder_id_number is too short").max(64),
  cert_type: z.enum(["personal", "organisation"], { message: "cert_type must be personal or organisation" }),
  payer_class: z.enum(["self", "unified"], { message: "payer_class must be self or unified" }),
  email: z.union([z.literal(""), z.email("email is not an e-mail address")]).optional(),
  token_serial: z.string().trim().max(64).optional(),
  admin_pin_enc: z.string().trim().max(512).optional(),
});

/**
 * The operator's sealed admin PIN: base64 of IV (12) ‖ AES-256-GCM ciphertext ‖ tag (16) under the import PIN key
 * (32 bytes, hex, given to certs:import with --pin-key-file), the token serial as additional data (a PIN sealed
 * for one token does not open for another). Throws on anything else.
 */
export function openAdminPin(sealedB64: string, tokenSerial: string, pinKeyHex: string): string {
  const b = Buffer.from(sealedB64, "base64");
  if (b.length < 12 + 16 + 4) throw new Error("sealed admin PIN too short");
  const d = createDecipheriv("aes-256-gcm", Buffer.from(pinKeyHex, "hex"), b.subarray(0, 12));
  d.setAAD(Buffer.from(tokenSerial, "utf8"));
  d.setAuthTag(b.subarray(b.length - 16));
  const pin = Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]).toString("utf8");
  if (!/^[\x21-\x7e]{4,64}$/.test(pin)) throw new Error("the admin PIN is not 4–64 printable characters");
  return pin;
}

/** The operator's side of openAdminPin (its export tool; tests and the demo use it). */
export function sealAdminPin(pin: string, tokenSerial: string, pinKeyHex: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", Buffer.from(pinKeyHex, "hex"), iv);
  c.setAAD(Buffer.from(tokenSerial, "utf8"));
  const body = Buffer.concat([c.update(pin, "utf8"), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]).toString("base64");
}

/** RFC 4180 CSV: quoted fields, "" escapes, CRLF or LF. Returns rows with the line each starts on. */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n") line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      cells.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      cells.push(cell);
      if (cells.some((c) => c !== "")) rows.push({ line: start, cells });
      cells = [];
      cell = "";
      start = ++line;
    } else cell += ch;
  }
  cells.push(cell);
  if (cells.some((c) => c !== "")) rows.push({ line: start, cells });
  return rows;
}

function readCertificates(file: string): Buffer[] {
  const bytes = readFileSync(file);
  const text = bytes.subarray(0, 64).toString("latin1");
  return text.includes("-----BEGIN") ? pemBlocks(bytes.toString("latin1"), "CERTIFICATE") : [bytes];
}

function checkCertificate(der: Buffer): string | undefined {
  try {
    certificateInfo(der);
    return undefined;
  } catch (e) {
    return e instanceof DerError || e instanceof TypeError
      ? `not a readable X.509 certificate (${e.message})`
      : String(e);
  }
}

export function rowsFromCsv(
  csvPath: string,
  opts: { pinKeyHex?: string } = {},
): { rows: ImportRow[]; problems: ImportProblem[] } {
  const rows: ImportRow[] = [];
  const problems: ImportProblem[] = [];
  const [header, ...data] = parseCsv(readFileSync(csvPath, "utf8").replace(/^\uFEFF/, ""));
  if (!header) return { rows, problems: [{ line: 1, message: "the file is empty" }] };
  const names = header.cells.map((c) => c.trim());
  for (const required of [
    "cert_file",
    "holder_name",
    "holder_id_type",
    "holder_id_number",
    "cert_type",
    "payer_class",
  ]) {
    if (!names.includes(required)) problems.push({ line: header.line, message: `column ${required} is missing` });
  }
  const withPins = names.includes("admin_pin_enc");
  if (withPins && !opts.pinKeyHex)
    problems.push({ line: header.line, message: "column admin_pin_enc needs --pin-key-file (the import PIN key)" });
  if (problems.length) return { rows, problems };
  for (const { line, cells } of data) {
    if (cells.length !== names.length) {
      problems.push({ line, message: `expected ${names.length} fields, found ${cells.length}` });
      continue;
    }
    const parsed = CsvRow.safeParse(Object.fromEntries(names.map((n, i) => [n, cells[i]])));
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((i) => ({ line, message: i.message })));
      continue;
    }
    const r = parsed.data;
    let certs: Buffer[];
    try {
      certs = readCertificates(path.resolve(path.dirname(csvPath), r.cert_file));
    } catch {
      problems.push({ line, message: `cannot read ${r.cert_file}` });
      continue;
    }
    if (certs.length !== 1) {
      problems.push({ line, message: `${r.cert_file} holds ${certs.length} certificates, expected 1` });
      continue;
    }
    const bad = checkCertificate(certs[0]);
    if (bad) {
      problems.push({ line, message: `${r.cert_file}: ${bad}` });
      continue;
    }
    let adminPin: string | null | undefined;
    if (withPins) {
      adminPin = null;
      if (r.admin_pin_enc) {
        if (!r.token_serial) {
          problems.push({ line, message: "admin_pin_enc without token_serial" });
          continue;
        }
        try {
          adminPin = openAdminPin(r.admin_pin_enc, r.token_serial, opts.pinKeyHex!);
        } catch (e) {
          problems.push({ line, message: `admin_pin_enc does not open with the PIN key (${(e as Error).message})` });
          continue;
        }
      }
    }
    rows.push({
      line,
      der: certs[0],
      adminPin,
      holder: {
        holderName: r.holder_name,
        holderIdType: r.holder_id_type,
        holderIdNumber: r.holder_id_number,
        email: r.email || null,
        certType: r.cert_type,
        payerClass: r.payer_class,
        tokenSerial: r.token_serial || null,
      },
    });
  }
  return { rows, problems };
}

/** Bare PEM/DER files: holder name from the CN; ID unknown; type and payer class as given. */
export function rowsFromCertificateFiles(
  files: string[],
  defaults: Pick<HolderRecord, "certType" | "payerClass">,
): { rows: ImportRow[]; problems: ImportProblem[] } {
  const rows: ImportRow[] = [];
  const problems: ImportProblem[] = [];
  let n = 0;
  for (const file of files) {
    for (const der of readCertificates(file)) {
      const line = ++n;
      const bad = checkCertificate(der);
      if (bad) {
        problems.push({ line, message: `${path.basename(file)} certificate ${line}: ${bad}` });
        continue;
      }
      const info = certificateInfo(der);
      rows.push({
        line,
        der,
        holder: {
          holderName: info.subjectCn ?? info.subjectDn,
          holderIdType: "unknown",
          holderIdNumber: "",
          ...defaults,
        },
      });
    }
  }
  return { rows, problems };
}

/**
 * Stores all rows in one transaction, or nothing: duplicate serials (in the file or already registered) and
 * every earlier problem make it throw CERT_IMPORT_INVALID with `details.problems` [{ line, message }].
 */
export async function importCertificates(
  db: Db,
  keys: FieldKeys,
  input: { rows: ImportRow[]; problems: ImportProblem[] },
): Promise<number> {
  const problems = [...input.problems];
  const seen = new Map<string, number>();
  for (const r of input.rows) {
    const serial = certificateInfo(r.der).serial;
    const first = seen.get(serial);
    if (first !== undefined) problems.push({ line: r.line, message: `serial ${serial} repeats line ${first}` });
    else seen.set(serial, r.line);
  }
  const existing = await db.certificate.findMany({
    where: { serial: { in: [...seen.keys()] } },
    select: { serial: true },
  });
  for (const e of existing)
    problems.push({ line: seen.get(e.serial)!, message: `serial ${e.serial} is already in the registry` });
  if (problems.length)
    throw new DomainError("CERT_IMPORT_INVALID", { problems: problems.sort((a, b) => a.line - b.line) });
  await withTx(
    db,
    async (tx) => {
      for (const r of input.rows) {
        await registerCertificate(tx, keys, r.der, r.holder);
        const token = r.holder.tokenSerial;
        if (r.adminPin === undefined || !token) continue;
        // the operator's admin PIN is the token's SO PIN version 0; none on record: unlock only in person
        const pin = r.adminPin ? { adminPinEnc: encryptField(keys, r.adminPin), adminPinUnknown: false } : null;
        const data = pin ?? { adminPinEnc: null, adminPinUnknown: true };
        await tx.tokenRecord.upsert({
          where: { tokenSerial: token },
          create: { tokenSerial: token, ...data },
          update: data,
        });
      }
    },
    { timeout: 10 * 60_000, maxWait: 60_000 },
  );
  return input.rows.length;
}
