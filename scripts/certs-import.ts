/**
 * `npm run certs:import -- FILE [FILE…] [--cert-type personal|organisation] [--payer-class self|unified]
 *   [--pin-key-file KEYFILE]`
 * KEYFILE holds the import PIN key (64 hex characters) that opens the CSV's admin_pin_enc column (RA mode).
 * FILE is a CSV with holder metadata (see lib/registry/import.ts) or PEM/DER certificate files. All or nothing:
 * any problem is listed with its line and nothing is stored.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { closeDb, getDb } from "@/lib/db";
import { getConfig } from "@/lib/config";
import { isDomainError } from "@/lib/errors";
import { importCertificates, rowsFromCertificateFiles, rowsFromCsv, type ImportProblem } from "@/lib/registry/import";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "cert-type": { type: "string", default: "personal" },
      "payer-class": { type: "string", default: "self" },
      "pin-key-file": { type: "string" },
    },
  });
  const certType = values["cert-type"];
  const payerClass = values["payer-class"];
  if (
    positionals.length === 0 ||
    (certType !== "personal" && certType !== "organisation") ||
    (payerClass !== "self" && payerClass !== "unified")
  ) {
    console.error(
      "usage: npm run certs:import -- FILE.csv | CERT.pem|.cer… [--cert-type personal|organisation] [--payer-class self|unified]",
    );
    return 2;
  }
  const csv = positionals.length === 1 && positionals[0].toLowerCase().endsWith(".csv");
  const keyFile = values["pin-key-file"];
  const pinKeyHex = keyFile ? readFileSync(keyFile, "utf8").trim() : undefined;
  if (pinKeyHex !== undefined && !/^[0-9a-f]{64}$/i.test(pinKeyHex)) {
    console.error("--pin-key-file: expected 64 hex characters (a 256-bit key)");
    return 2;
  }
  const input = csv
    ? rowsFromCsv(positionals[0], { pinKeyHex })
    : rowsFromCertificateFiles(positionals, { certType, payerClass });
  try {
    const n = await importCertificates(await getDb(), getConfig(), input);
    console.log(`Imported ${n} certificate(s).`);
    if (!csv)
      console.log(
        "Holder ID numbers are unknown for certificates imported without a CSV; add them with a CSV import for renewal checks.",
      );
    return 0;
  } catch (e) {
    if (!isDomainError(e) || e.code !== "CERT_IMPORT_INVALID") throw e;
    console.error("Nothing was imported. Problems:");
    for (const p of e.details.problems as ImportProblem[]) console.error(`  line ${p.line}: ${p.message}`);
    return 1;
  } finally {
    await closeDb();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`certs:import failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
