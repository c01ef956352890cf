import { z } from "zod";
import { CONTENT_KEYS, parseContent } from "@/lib/content/store";
import { staffRoute } from "@/lib/staff/route";

const Preview = z.object({ key: z.enum(CONTENT_KEYS), text: z.string().max(200_000) });

/** What saving would store, checked by the same schema, for the editor's preview; stores nothing. */
export const POST = staffRoute(
  "POST /api/staff/content/preview",
  { body: Preview, maxBodyBytes: 256 * 1024 },
  async (ctx) => ({
    value: parseContent(ctx.body.key, ctx.body.text),
  }),
);
