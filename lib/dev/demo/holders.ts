import type { CertType, PayerClass } from "../../generated/prisma/client";
import { DAY } from "../../clock";

/** One demo holder: a certificate on its own virtual token, expiring `daysLeft` days after the first start. */
export interface DemoHolder {
  key: string;
  cn: string;
  certType: CertType;
  payerClass: PayerClass;
  daysLeft: number;
  revoked?: boolean;
  /** SM2: a dual-certificate holder (GM/T 0034): SM2 signing key on the token, KMC encryption key pair beside it */
  keyAlgorithm: "EC-P256" | "RSA-2048" | "SM2";
}

const PEOPLE = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴昊", "徐丽", "孙杰"];
const ORGS = [
  "德州市数据科技有限公司",
  "德州市新能源有限公司",
  "德州市建设工程有限公司",
  "德州市医药连锁有限公司",
  "德州市物流有限公司",
  "德州市教育服务中心",
];

/** The demo organisation of 大客户专区 (lib/dev/demo/organisation.ts links its certificate and holders). */
export const DEMO_ORGANISATION = {
  name: "德州市统一付费示范单位",
  contactEmail: "org_console@demo.certrenew.local",
  contractNo: "DZCA-HT-2026-001",
  consoleKey: "org_console_1",
  holderKeys: [/^org_member_/, /^personal_unified_/, /^org_unified_1$/],
};

function series(prefix: string, n: number, make: (i: number) => Omit<DemoHolder, "key">): DemoHolder[] {
  return Array.from({ length: n }, (_, i) => ({ key: `${prefix}_${i + 1}`, ...make(i) }));
}

/**
 * Every case a newcomer or a test needs: inside the 30-day window (personal/organisation self-pay,
 * unified payment), too early (60 days left), expired, revoked. Several of each, because every
 * completed renewal uses one up.
 */
export const DEMO_HOLDERS: DemoHolder[] = [
  ...series("personal_self", 4, (i) => ({
    cn: PEOPLE[i],
    certType: "personal",
    payerClass: "self",
    daysLeft: 10 + i,
    keyAlgorithm: i % 2 ? "RSA-2048" : "EC-P256",
  })),
  ...series("org_self", 4, (i) => ({
    cn: ORGS[i],
    certType: "organisation",
    payerClass: "self",
    daysLeft: 20 + i,
    keyAlgorithm: i % 2 ? "EC-P256" : "RSA-2048",
  })),
  ...series("personal_unified", 6, (i) => ({
    cn: PEOPLE[4 + i],
    certType: "personal",
    payerClass: "unified",
    daysLeft: 5 + i,
    keyAlgorithm: "EC-P256",
  })),
  ...series("org_unified", 2, (i) => ({
    cn: ORGS[4 + i],
    certType: "organisation",
    payerClass: "unified",
    daysLeft: 15 + i,
    keyAlgorithm: "EC-P256",
  })),
  { key: "too_early", cn: PEOPLE[10], certType: "personal", payerClass: "self", daysLeft: 60, keyAlgorithm: "EC-P256" },
  { key: "expired", cn: PEOPLE[11], certType: "personal", payerClass: "self", daysLeft: -3, keyAlgorithm: "EC-P256" },
  {
    key: "revoked",
    cn: "德州市已注销测试有限公司",
    certType: "organisation",
    payerClass: "self",
    daysLeft: 15,
    revoked: true,
    keyAlgorithm: "EC-P256",
  },
  // appended, never inserted above: a holder's token serial follows its place in this list
  { key: "unlock_1", cn: "郑洁", certType: "personal", payerClass: "unified", daysLeft: 40, keyAlgorithm: "EC-P256" },
  {
    key: "revoke_1",
    cn: "德州市测试注销有限公司",
    certType: "organisation",
    payerClass: "unified",
    daysLeft: 200,
    keyAlgorithm: "EC-P256",
  },
  // national cryptography (kmc): SM2 dual-certificate holders, self-paying and unified, inside the window
  ...series("sm2_self", 2, (i) => ({
    cn: `${["国密测试", "国密示范"][i]}个人证书`,
    certType: "personal",
    payerClass: "self",
    daysLeft: 12 + i,
    keyAlgorithm: "SM2",
  })),
  ...series("sm2_unified", 2, (i) => ({
    cn: `德州市国密${["示范", "试点"][i]}单位`,
    certType: "organisation",
    payerClass: "unified",
    daysLeft: 16 + i,
    keyAlgorithm: "SM2",
  })),
  // 大客户专区 (bigclient, #24): the demo organisation's own certificate, which signs it into /org, and holders it pays
  // for (self-paying until it does: batch pay or contract coverage); the unified-payment holders above are linked too
  {
    key: "org_console_1",
    cn: DEMO_ORGANISATION.name,
    certType: "organisation",
    payerClass: "unified",
    daysLeft: 300,
    keyAlgorithm: "EC-P256",
  },
  ...series("org_member", 4, (i) => ({
    cn: ["高翔", "林雪", "马超", "罗琳"][i],
    certType: "personal",
    payerClass: "self",
    daysLeft: 9 + i,
    keyAlgorithm: "EC-P256",
  })),
  {
    key: "org_member_later",
    cn: "宋佳",
    certType: "personal",
    payerClass: "self",
    daysLeft: 45,
    keyAlgorithm: "EC-P256",
  },
];

export const DEMO_PIN = "111111";

/** A valid 18-digit resident ID (GB 11643-1999 check digit) with a Dezhou area code. */
export function demoResidentId(n: number): string {
  const body = `371402${1970 + (n % 30)}${String((n % 12) + 1).padStart(2, "0")}${String((n % 28) + 1).padStart(2, "0")}${String(100 + n).slice(-3)}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return body + "10X98765432"[sum % 11];
}

/** A valid unified social credit code (GB 32100-2015 check character). */
export function demoCreditCode(n: number): string {
  const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const body = `91371402MA${String(3000000 + n * 7919).padStart(7, "0")}`.slice(0, 17);
  const sum = [...body].reduce((s, c, i) => s + alphabet.indexOf(c) * weights[i], 0);
  return body + alphabet[(31 - (sum % 31)) % 31];
}

export function notAfterFor(holder: DemoHolder, start: Date): Date {
  return new Date(start.getTime() + holder.daysLeft * DAY);
}
