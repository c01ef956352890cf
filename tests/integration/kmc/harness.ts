import { afterAll, beforeAll } from "vitest";
import { getConfig, resetConfig } from "@/lib/config";
import { generateSm2KeyPair, sm2Sign } from "@/lib/crypto/sm2";
import { setProcessDb, type Db, type OpenDb } from "@/lib/db";
import { resetCa, type Ca } from "@/lib/pki/ca";
import { sm2PrivateKeyObject } from "@/lib/token/enveloped-key";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa, insertHolderCertificate } from "@/tests/helpers/pki";
import * as challengeRoute from "@/app/api/renew/challenge/route";

/**
 * Key recovery over HTTP, shared by its route tests: a PGlite database and a test CA for the file (registered with
 * beforeAll/afterAll), SM2 holders with a certificate in the database, and login challenges signed by their keys as
 * the token does through the assistant.
 */
export function kmcRouteHarness(ip: string) {
  const h = {} as { db: Db; ca: Ca; origin: string; opened: OpenDb };
  beforeAll(async () => {
    ({ ca: h.ca } = await createTestCa());
    resetCa();
    h.origin = getConfig().publicOrigin;
    h.opened = await createTestDb();
    h.db = h.opened.prisma as Db;
    setProcessDb(h.opened);
  });
  afterAll(async () => {
    resetConfig();
    await h.opened?.close();
  });

  function post(path: string, body: unknown): Request {
    return new Request(`${h.origin}${path}`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { origin: h.origin, "content-type": "application/json", "x-real-ip": ip },
    });
  }

  /** An SM2 signing certificate of the default test holder, valid for 300 more days, and its key pair. */
  async function sm2Certificate() {
    const pair = generateSm2KeyPair();
    const { row } = await insertHolderCertificate(h.db, h.ca, {
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 300 * 86_400_000),
      key: sm2PrivateKeyObject(pair.privateKey),
    });
    return { pair, row };
  }

  /** A login challenge for `serial` (POST /api/renew/challenge) signed with `privateKey`. */
  async function signedLogin(serial: string, privateKey: Buffer, publicKey: Buffer) {
    const c = (await (await challengeRoute.POST(post("/api/renew/challenge", { serial }))).json()) as {
      challenge: string;
    };
    const signature = sm2Sign(Buffer.from(c.challenge, "utf8"), privateKey, { publicKey }).toString("base64");
    return { challenge: c.challenge, signature };
  }

  return { h, post, sm2Certificate, signedLogin };
}
