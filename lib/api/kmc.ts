import { z } from "zod";

/** Key recovery, the holder's half (dual certificates): an approved recovery delivered to a key the holder proves. */

const Base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .max(16_000);

export const KeyRecoveryRequest = z.object({
  recoveryId: z.string().uuid(),
  /** a `login` challenge for the certificate on the key (POST /api/renew/challenge), signed with its key */
  challenge: z.string().max(1024),
  signature: Base64,
});

export const KeyRecoveryResponse = z.object({
  /** GM/T 0016 ENVELOPEDKEYBLOB sealed to the proving key, base64: the assistant imports it (POST /v1/import-key) */
  envelope: z.string(),
  /** the encryption certificate, base64 DER */
  certificate: z.string(),
  serial: z.string(),
});
export type KeyRecoveryResponse = z.infer<typeof KeyRecoveryResponse>;
