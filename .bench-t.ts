import * as s from "./lib/crypto/sm2";
import { sm2 as gm2 } from "sm-crypto-v2";
const kp = s.generateSm2KeyPair();
const data = Buffer.alloc(700, 1);
const sig = s.sm2Sign(data, kp.privateKey, { publicKey: kp.publicKey });
let t = performance.now(), n = 0;
while (performance.now() - t < 2000) { s.sm2Sign(data, kp.privateKey, { publicKey: kp.publicKey }); n++; }
console.log("sign/s", (n / 2).toFixed(0));
t = performance.now(); n = 0;
while (performance.now() - t < 2000) { s.sm2Verify(data, sig, kp.publicKey); n++; }
console.log("verify/s", (n / 2).toFixed(0));
const P = gm2.precomputePublicKey(kp.publicKey.toString("hex"), 1) as any;
console.log(typeof P.multiplyAndAddUnsafe, Object.getOwnPropertyNames(Object.getPrototypeOf(P)).join(","));
