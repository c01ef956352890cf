import { z } from "zod";

/** Key recovery, the holder's half (dual certificates): an approved recovery delivered to a key the holder proves. */

const Base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .max(16_000);

/** a `login` challenge for the certificate on the key (POST /api/renew/challenge), signed with its key */
const Proof = {
  challenge: z.string().max(1024),
  signature: Base64,
};

export const KeyRecoveryRequest = z.object({ recoveryId: z.string().uuid(), ...Proof });

export const KeyRecoveryResponse = z.object({
  /** GM/T 0016 ENVELOPEDKEYBLOB sealed to the proving key, base64: the assistant imports it (POST /v1/import-key) */
  envelope: z.string(),
  /** the encryption certificate, base64 DER */
  certificate: z.string(),
  serial: z.string(),
});
export type KeyRecoveryResponse = z.infer<typeof KeyRecoveryResponse>;

/** POST /api/services/key-recovery/status: the holder's escrowed keys and their latest requests */
export const KeyRecoveryStatusRequest = z.object(Proof);

const RecoveryState = z.enum(["requested", "endorsed", "approved", "rejected", "delivered"]);

export const KeyRecoveryStatusResponse = z.object({
  keys: z.array(
    z.object({
      serial: z.string(),
      notBefore: z.string(),
      notAfter: z.string(),
      status: z.string(),
      current: z.boolean(),
      recovery: z
        .object({
          id: z.string(),
          state: RecoveryState,
          createdAt: z.string(),
          decidedAt: z.string().nullable(),
          approvals: z.number(),
        })
        .nullable(),
    }),
  ),
});
export type KeyRecoveryStatusResponse = z.infer<typeof KeyRecoveryStatusResponse>;

/** POST /api/services/key-recovery/request: the holder asks to recover the key of encryption certificate `serial` */
export const KeyRecoveryAskRequest = z.object({
  ...Proof,
  serial: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F:]{2,80}$/),
  reason: z.enum(["token_lost", "token_broken", "old_data"]),
});

export const KeyRecoveryAskResponse = z.object({ id: z.string(), state: RecoveryState });
export type KeyRecoveryAskResponse = z.infer<typeof KeyRecoveryAskResponse>;
