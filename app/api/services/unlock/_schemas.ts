import { z } from "zod";

export const RequestAndCode = z.object({
  requestId: z.uuid(),
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/),
});
