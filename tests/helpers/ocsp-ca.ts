import { mkdtempSync } from "node:fs";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { withTx } from "@/lib/audit";
import { systemClock } from "@/lib/clock";
import type { OpenDb } from "@/lib/db";
import { serveOcsp } from "@/lib/dev/testing/ocsp-server";
import type { Ca } from "@/lib/pki/ca";
import { revokeCertificate } from "@/lib/pki/revoke";
import type { SignerAlgorithm } from "@/lib/pki/signer";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa, writePem } from "@/tests/helpers/pki";

export interface OcspCa {
  db: OpenDb;
  ca: Ca;
  /** a temporary folder holding the CA's certificates as PEM files, `files.root` and `files.issuing` */
  tmp: string;
  files: Record<string, string>;
  /** the OCSP responder's URL */
  url: string;
}

/**
 * For a describe block: a test CA with the `algorithm` key, its database and its OCSP responder, started before
 * the block and stopped after it. The fields are set once the block's beforeAll hooks run.
 */
export function useOcspCa(algorithm: SignerAlgorithm, tmpPrefix: string): OcspCa {
  const world = {} as OcspCa;
  let server: http.Server | undefined;
  beforeAll(async () => {
    world.db = await createTestDb();
    ({ ca: world.ca } = await createTestCa(algorithm));
    world.tmp = mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
    world.files = writePem(world.tmp, { root: world.ca.rootCert, issuing: world.ca.issuingCert });
    ({ server, url: world.url } = await serveOcsp(world.db, world.ca));
  });
  afterAll(async () => {
    server?.close();
    await world.db?.close();
  });
  return world;
}

/** A staff member revokes the certificate `serial` for key compromise, now. */
export function revokeForKeyCompromise(db: OpenDb, ca: Ca, serial: string) {
  return withTx(db.prisma, (tx) =>
    revokeCertificate(tx, {
      serial,
      reason: "keyCompromise",
      clock: systemClock,
      actor: { type: "staff", id: "staff-1" },
      ca,
    }),
  );
}
