import { openDb } from "./lib/db/client";
import { applyMigrations } from "./lib/db/migrate";
import { randomBytes } from "node:crypto";
const url = process.env.DATABASE_URL;
const db = url ? await openDb({ url }) : await openDb({ pgliteDir: "memory://" });
if (!url) await applyMigrations({ pglite: db.pglite! });
const der = randomBytes(700);
const row = () => ({ serial: randomBytes(16).toString("hex"), subjectDn: "CN=测试证书2018072403,OU=I370101000000001,L=dezhou,ST=SD,C=CN", issuerDn: "CN=x", holderName: "x", holderIdType: "r", holderIdEnc: "v1", holderIdHash: "h", holderIdLast4: "1234", certType: "personal", payerClass: "self", keyAlgorithm: "RSA-2048", spkiSha256: "ab", notBefore: new Date(), notAfter: new Date(), der });
try {
let t = performance.now();
for (let i = 0; i < 10; i++) {
  const rows = Array.from({ length: 400 }, row);
  const col = (k: keyof ReturnType<typeof row>) => rows.map((r) => r[k]);
  await db.prisma.$executeRawUnsafe(`INSERT INTO "Certificate" (id, serial, "subjectDn", "issuerDn", "holderName", "holderIdType", "holderIdEnc", "holderIdHash", "holderIdLast4", "certType", "payerClass", "keyAlgorithm", "spkiSha256", "notBefore", "notAfter", der)
    SELECT gen_random_uuid()::text, s, sd, idn, hn, ht, he, hh, hl, ct::"CertType", pc::"PayerClass", ka, sp, nb, na, decode(d, 'base64') FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamp[], $14::timestamp[], $15::text[]) AS u(s, sd, idn, hn, ht, he, hh, hl, ct, pc, ka, sp, nb, na, d)`,
    col("serial"), col("subjectDn"), col("issuerDn"), col("holderName"), col("holderIdType"), col("holderIdEnc"), col("holderIdHash"), col("holderIdLast4"), col("certType"), col("payerClass"), col("keyAlgorithm"), col("spkiSha256"), col("notBefore"), col("notAfter"), rows.map((r) => r.der.toString("base64")));
}
console.log("unnest raw", (4000 / ((performance.now() - t) / 1000)).toFixed(0), "rows/s", await db.prisma.certificate.count());
} catch (e) { console.log(String(e).slice(0, 500)); }
await db.close();
