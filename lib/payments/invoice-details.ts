import { z } from "zod";
import { isValidCreditCode, normaliseCreditCode } from "./credit-code";

/**
 * 开票信息, as the holder enters it after paying. Browser-safe (zod only): the payment page's form validates
 * with this same schema. Messages are keys of lib/messages/validation.ts.
 */
export const InvoiceDetails = z
  .object({
    type: z.enum(["personal", "organisation"], { message: "invoiceTypeInvalid" }),
    title: z.string().trim().min(2, "invoiceTitleLength").max(100, "invoiceTitleLength"),
    taxpayerId: z
      .string()
      .transform(normaliseCreditCode)
      .optional()
      .transform((v) => (v ? v : undefined)),
    email: z
      .string()
      .trim()
      .toLowerCase()
      .max(254, "tooLong")
      .pipe(z.email({ message: "emailInvalid" })),
  })
  .superRefine((v, ctx) => {
    if (v.type === "organisation" && !v.taxpayerId)
      ctx.addIssue({ code: "custom", path: ["taxpayerId"], message: "taxpayerIdRequired" });
    if (v.taxpayerId && !isValidCreditCode(v.taxpayerId))
      ctx.addIssue({ code: "custom", path: ["taxpayerId"], message: "taxpayerIdInvalid" });
  });
export type InvoiceDetails = z.infer<typeof InvoiceDetails>;
