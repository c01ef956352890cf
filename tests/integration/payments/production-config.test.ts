import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { execFileSync } from "node:child_process";
import { KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig, resetConfig, getConfig } from "@/lib/config";
import { alipayFor } from "@/lib/payments/alipay/client";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { handleNotify } from "@/lib/payments/alipay/notify";
import { buildNotify } from "@/lib/dev/alipay-sandbox/notify";
import { payTrade } from "@/lib/dev/alipay-sandbox/trades";
import { setSandboxFaults } from "@/lib/dev/alipay-sandbox/faults";
import { insertOrder, tradeNoOf, useHarness, type Harness } from "./harness";

const harness = useHarness();
let h: Harness;
beforeAll(() => {
  h = harness();
});

/** Runs `fn` with the merchant side configured as for real Alipay (no ALIPAY_SANDBOX), pointed at the emulator. */
async function asProduction(extra: Record<string, string>, fn: () => Promise<void>) {
  const id = h.env.identity;
  const saved = { ...process.env };
  Object.assign(process.env, { ALIPAY_SANDBOX: "0", ALIPAY_APP_ID: id.appId, ALIPAY_SELLER_ID: id.sellerId, ...extra });
  resetConfig();
  try {
    await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    resetConfig();
  }
}

async function payOnce() {
  const order = await insertOrder(h.db, h.clock);
  const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
  await setSandboxFaults(h.db, { lost: true }, order.orderNo);
  const trade = await payTrade(h.env, tradeNoOf(start.qrCode));
  expect(await handleNotify(h.db, envPayments, buildNotify(trade, h.env, "TRADE_SUCCESS"), h.clock)).toBe("success");
  expect((await h.db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("paid");
}

/** The SDK signs and verifies with keys parsed once (client.ts parsedKeys), not with PEM text parsed on every call. */
function expectParsedKeys() {
  const keys = alipayFor(getConfig()).sdk.config as unknown as Record<string, unknown>;
  expect(keys.privateKey).toBeInstanceOf(KeyObject);
  expect((keys.privateKey as KeyObject).type).toBe("private");
  expect(keys.alipayPublicKey).toBeInstanceOf(KeyObject);
  expect((keys.alipayPublicKey as KeyObject).type).toBe("public");
}

const bare = (pemText: string) =>
  pemText
    .split("\n")
    .filter((l) => l && !l.startsWith("-----"))
    .join("");

describe("switching to real Alipay is configuration only", () => {
  it("works with keys given as the Alipay console shows them (bare base64 on one line)", async () => {
    const pkcs8 = execFileSync("openssl", ["pkcs8", "-topk8", "-nocrypt"], {
      input: h.env.identity.appPrivateKey,
    }).toString();
    await asProduction(
      { ALIPAY_PRIVATE_KEY: bare(pkcs8), ALIPAY_PUBLIC_KEY: bare(h.env.identity.alipayPublicKey) },
      async () => {
        expect(alipayFor(getConfig()).appId).toBe(h.env.identity.appId);
        expectParsedKeys();
        await payOnce();
      },
    );
  });

  it("works in certificate mode (公钥证书模式) with the app, Alipay and root certificates", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "alipay-certs-"));
    try {
      const f = (n: string) => path.join(dir, n);
      const ossl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
      ossl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        f("root.key"),
        "-out",
        f("root.crt"),
        "-days",
        "30",
        "-subj",
        "/C=CN/O=Test Root/CN=Test Alipay Root",
        "-sha256",
      );
      for (const [name, key] of [
        ["alipay", h.env.identity.alipayPrivateKey],
        ["app", h.env.identity.appPrivateKey],
      ] as const) {
        writeFileSync(f(`${name}.key`), key);
        ossl("req", "-new", "-key", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", `/C=CN/O=Test/CN=${name}`);
        ossl(
          "x509",
          "-req",
          "-in",
          f(`${name}.csr`),
          "-CA",
          f("root.crt"),
          "-CAkey",
          f("root.key"),
          "-CAcreateserial",
          "-out",
          f(`${name}.crt`),
          "-days",
          "30",
          "-sha256",
        );
      }
      const read = (n: string) => readFileSync(f(n), "utf8").replaceAll("\n", "\\n"); // as one env line
      await asProduction(
        {
          ALIPAY_PRIVATE_KEY: h.env.identity.appPrivateKey,
          ALIPAY_APP_CERT: read("app.crt"),
          ALIPAY_PUBLIC_CERT: read("alipay.crt"),
          ALIPAY_ROOT_CERT: read("root.crt"),
        },
        async () => {
          expect(alipayFor(getConfig()).sdk.config.appCertSn).toMatch(/^[0-9a-f]{32}$/);
          expectParsedKeys();
          await payOnce();
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("production start-up names the missing Alipay setting", () => {
    const env = {
      NODE_ENV: "production",
      SESSION_SECRET: "s".repeat(32),
      FIELD_ENCRYPTION_KEY: "0".repeat(64),
      SO_PIN_MASTER_SECRET: "s".repeat(32),
      CA_KEY_PASSPHRASE: "p".repeat(12),
      SMTP_HOST: "smtp.example.cn",
      AUDIT_CHAIN_KEY: "ab".repeat(32),
    };
    const alipay = {
      ALIPAY_APP_ID: "2021",
      ALIPAY_PRIVATE_KEY: "k",
      ALIPAY_GATEWAY: "https://openapi.alipay.com/gateway.do",
      ALIPAY_SELLER_ID: "2088",
    };
    expect(() => parseConfig({ ...env, ...alipay })).toThrow(/^ALIPAY_PUBLIC_KEY is missing/);
    expect(() => parseConfig({ ...env, ...alipay, ALIPAY_APP_CERT: "x" })).toThrow(/^ALIPAY_PUBLIC_CERT is missing/);
    expect(() => parseConfig({ ...env, ...alipay, ALIPAY_PUBLIC_KEY: "k" })).not.toThrow();
    // the emulator lets anyone pay any order: production refuses it (issue 21)
    expect(() => parseConfig({ ...env, ALIPAY_SANDBOX: "1" })).toThrow(/^ALIPAY_SANDBOX is invalid/);
  });
});
