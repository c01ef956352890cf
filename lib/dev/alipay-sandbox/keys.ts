import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The emulator's identity: its own "Alipay" RSA key pair and the merchant (app) key pair, as the Alipay
 * open platform would hand them out. Generated once into DATA_DIR/alipay-sandbox/identity.json (0600);
 * the first writer wins, so several instances starting together end up with the same keys.
 */
export interface SandboxIdentity {
  appId: string;
  sellerId: string;
  appPrivateKey: string;
  appPublicKey: string;
  alipayPrivateKey: string;
  alipayPublicKey: string;
}

function rsaPair() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

function digits(n: number): string {
  return Array.from(randomBytes(n), (b) => String(b % 10)).join("");
}

function generate(): SandboxIdentity {
  const app = rsaPair();
  const alipay = rsaPair();
  return {
    appId: `902100${digits(10)}`,
    sellerId: `2088${digits(12)}`,
    appPrivateKey: app.privateKey,
    appPublicKey: app.publicKey,
    alipayPrivateKey: alipay.privateKey,
    alipayPublicKey: alipay.publicKey,
  };
}

const cache = new Map<string, SandboxIdentity>();

function sandboxDir(dataDir: string): string {
  return path.join(dataDir, "alipay-sandbox");
}

export function loadSandboxIdentity(dataDir: string): SandboxIdentity {
  const dir = sandboxDir(dataDir);
  const hit = cache.get(dir);
  if (hit) return hit;
  const file = path.join(dir, "identity.json");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(tmp, JSON.stringify(generate(), null, 2) + "\n", { mode: 0o600 });
    try {
      linkSync(tmp, file); // atomic, and fails if another process got there first
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      unlinkSync(tmp);
    }
  }
  const identity = JSON.parse(readFileSync(file, "utf8")) as SandboxIdentity;
  cache.set(dir, identity);
  return identity;
}

/**
 * The merchant side's configuration for the emulator: the variables a real merchant sets (lib/config), filled
 * with the emulator's keys, so the Alipay client needs no sandbox branch. The launcher (scripts/start.ts) and
 * the in-process test harnesses put these into the environment; any certificate-mode variables are cleared.
 */
export function sandboxMerchantEnv(dataDir: string): Record<string, string> {
  const id = loadSandboxIdentity(dataDir);
  return {
    ALIPAY_APP_ID: id.appId,
    ALIPAY_SELLER_ID: id.sellerId,
    ALIPAY_PRIVATE_KEY: id.appPrivateKey,
    ALIPAY_PUBLIC_KEY: id.alipayPublicKey,
    ALIPAY_APP_CERT: "",
    ALIPAY_PUBLIC_CERT: "",
    ALIPAY_ROOT_CERT: "",
  };
}
