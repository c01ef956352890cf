import { z } from "zod";
import { ChallengeRequest } from "./renew";
import { InvoiceDetails } from "../payments/invoice-details";
import { HOLDER_FILTERS } from "../org/filters";

/** 大客户专区 (bigclient, #24): the console's requests, shared by the routes and the pages. */

export const HoldersQuery = z.object({
  filter: z.enum(HOLDER_FILTERS).optional(),
  q: z.string().trim().max(64).optional(),
});

const Serial = ChallengeRequest.shape.serial;

export const CreateBatchRequest = z.object({
  kind: z.enum(["alipay", "contract"]),
  serials: z.array(Serial).min(1).max(200),
});

export const BatchRef = z.object({ batchNo: z.string().regex(/^P\d{8}[0-9A-Z]{10}$/) });

export const BatchInvoiceRequest = BatchRef.extend({ details: InvoiceDetails });

export const BatchStartedResponse = z.object({
  batchNo: z.string(),
  qrCode: z.string(),
  amountFen: z.number().int(),
  deadline: z.string(),
});
export type BatchStartedResponse = z.infer<typeof BatchStartedResponse>;

export const BatchStatusResponse = z.object({ batchNo: z.string(), state: z.string() });
export type BatchStatusResponse = z.infer<typeof BatchStatusResponse>;

export const BatchCreatedResponse = z.object({ batchNo: z.string(), state: z.string(), totalFen: z.number().int() });
export type BatchCreatedResponse = z.infer<typeof BatchCreatedResponse>;

// staff
export const LinkRequest = z.object({
  serial: Serial,
  // the staff form's "no organisation" is an empty choice
  organisationId: z
    .union([z.uuid(), z.literal("")])
    .nullable()
    .transform((v) => v || null),
  console: z.boolean().optional(),
});

// orgstaff (#24): the staff organisations page. Empty form fields mean "none".
const emptyToNull = (v: unknown) => (v === "" || v === undefined ? null : v);

export const OrganisationRequest = z.object({
  name: z.string().trim().min(2).max(100),
  creditCode: z.string().trim().min(18).max(20),
  contactEmail: z.email().max(254),
  contractNo: z.preprocess(emptyToNull, z.string().trim().max(64).nullable()),
  contractUntil: z
    .preprocess(emptyToNull, z.iso.date().nullable())
    .transform((d) => (d ? new Date(`${d}T23:59:59+08:00`) : null)),
});

export const InvoiceIssuedRequest = z.object({
  invoiceNo: z.preprocess(emptyToNull, z.string().trim().max(40).nullable()),
});
