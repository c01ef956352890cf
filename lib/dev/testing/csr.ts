import { verify as cryptoVerify } from "node:crypto";
import { DomainError } from "../../errors";
import { decodeCsr, parsedCsr, verifyDecodedCsr, type ParsedCsr } from "../../pki/csr";

/** parseCsr with the signature check on libuv's thread pool, so that bench/issue.ts verifies on every core. */
export async function parseCsrAsync(input: Buffer | string): Promise<ParsedCsr> {
  const d = decodeCsr(input);
  const { node } = d;
  // SM2 verifies in JavaScript: no thread pool to hand it to
  const ok = !node
    ? verifyDecodedCsr(d)
    : await new Promise<boolean>((resolve) => {
        try {
          cryptoVerify(node.digest, d.info, node.key, d.signature, (err, valid) => resolve(!err && valid));
        } catch {
          resolve(false);
        }
      });
  if (!ok) throw new DomainError("CSR_INVALID_SIGNATURE");
  return parsedCsr(d);
}
