import * as s from "./lib/crypto/sm2";
import { sm2 as gm2 } from "sm-crypto-v2";
const kp = s.generateSm2KeyPair();
const data = Buffer.alloc(700, 1);
const sig = s.sm2Sign(data, kp.privateKey, { publicKey: kp.publicKey });
const N = BigInt("0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123");
interface P { multiplyAndAddUnsafe(q: P, a: bigint, b: bigint): P | undefined; toAffine(): { x: bigint; y: bigint } }
const Point = (gm2.precomputePublicKey(kp.publicKey.toString("hex"), 1) as any).constructor as { BASE: P; fromHex(h: string): P };
function verify(data: Buffer, der: Buffer, pub: Buffer) {
  const rs = s.sm2SignatureFromDer(der);
  const r = BigInt("0x" + rs.subarray(0, 32).toString("hex")), sv = BigInt("0x" + rs.subarray(32).toString("hex"));
  const e = BigInt("0x" + s.sm2Digest(data, pub).toString("hex"));
  const t = (r + sv) % N;
  if (t === 0n) return false;
  const PA = Point.fromHex(pub.toString("hex"));
  const sum = Point.BASE.multiplyAndAddUnsafe(PA, sv, t);
  if (!sum) return false;
  return (e + sum.toAffine().x) % N === r;
}
console.log(verify(data, sig, kp.publicKey), verify(Buffer.from("x"), sig, kp.publicKey));
let t = performance.now(), n = 0;
while (performance.now() - t < 2000) { verify(data, sig, kp.publicKey); n++; }
console.log("fast verify/s", (n / 2).toFixed(0));
t = performance.now(); n = 0;
while (performance.now() - t < 2000) { s.sm2Verify(data, sig, kp.publicKey); n++; }
console.log("verify/s", (n / 2).toFixed(0));
t = performance.now(); n = 0;
while (performance.now() - t < 2000) { s.sm2Sign(data, kp.privateKey, { publicKey: kp.publicKey }); n++; }
console.log("sign/s", (n / 2).toFixed(0));
