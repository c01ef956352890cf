import { z } from "zod";
import type { Db, Tx } from "../db";
import type { Clock } from "../clock";
import type { Locale } from "../errors/types";
import type { Prisma } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import { log } from "../log";
import { sqlRows, type Sql } from "../db/lean";
import { IN_PERSON_KINDS, servicesContent, type ServicesContent } from "./services";

/**
 * The content the operator edits in the staff console (service centre, in-person checklists, the guide, FAQ,
 * home-page notices, extra downloads), per language. What lib/content/services.ts holds is the default: an
 * entry an admin saved replaces it, an entry reset (or never saved, or no longer valid) falls back to it.
 * Each change is validated with the entry's schema and audited with the old and new value.
 */

const Text = (max: number) => z.string().trim().min(1).max(max);
const Lines = z.array(Text(300)).max(30);

const Centre = z.object({ name: Text(100), address: Text(200), hours: Text(200), hotline: Text(40) });
const InPersonService = z.object({
  title: Text(100),
  summary: Text(500),
  when: Lines,
  personal: Lines,
  organisation: Lines,
  notes: Lines,
});
const InPerson = z.object(
  Object.fromEntries(IN_PERSON_KINDS.map((k) => [k, InPersonService])) as Record<
    (typeof IN_PERSON_KINDS)[number],
    typeof InPersonService
  >,
);
const Guide = z.object({
  online: z.array(z.object({ title: Text(100), text: Text(500), href: z.string().regex(/^\/[\w/-]*$/) })).max(20),
  steps: z.object({ title: Text(100), items: Lines }),
});
const Faq = z
  .array(
    z.object({
      id: z.string().regex(/^[a-z0-9-]{1,40}$/),
      q: Text(200),
      a: z.array(Text(1000)).min(1).max(10),
      tags: z.string().max(300),
    }),
  )
  .max(100)
  .refine((list) => new Set(list.map((e) => e.id)).size === list.length, "duplicate id");
/** A notice on the home page, shown between its dates (both optional) */
const Notice = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/),
  level: z.enum(["info", "warn"]),
  title: Text(100),
  body: Text(1000),
  from: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});
const Notices = z.array(Notice).max(10);
/** Extra files on the download centre (the assistant and CA certificates are listed by the page itself) */
const Download = z.object({
  title: Text(100),
  desc: z.string().trim().max(300).optional(),
  href: z.string().regex(/^(\/[\w./-]*|https:\/\/[\w.-]+(\/[\w./%?&=-]*)?)$/),
});
const Downloads = z.array(Download).max(30);

export const CONTENT_SCHEMAS = {
  centre: Centre,
  inPerson: InPerson,
  guide: Guide,
  faq: Faq,
  notices: Notices,
  downloads: Downloads,
} as const;
export type ContentKey = keyof typeof CONTENT_SCHEMAS;
export const CONTENT_KEYS = Object.keys(CONTENT_SCHEMAS) as ContentKey[];

export type Notice = z.infer<typeof Notice>;
export type DownloadLink = z.infer<typeof Download>;
export interface SiteContent extends ServicesContent {
  notices: Notice[];
  downloads: DownloadLink[];
}

export function defaultContent(locale: Locale): SiteContent {
  return { ...servicesContent(locale), notices: [], downloads: [] };
}

/** The content as holders see it now: each saved entry that is still valid, else its default. */
export async function siteContent(db: Tx, locale: Locale): Promise<SiteContent> {
  const out = defaultContent(locale);
  const rows = await db.contentEntry.findMany({ where: { locale } });
  for (const row of rows) {
    if (!(CONTENT_KEYS as string[]).includes(row.key)) continue;
    const key = row.key as ContentKey;
    const parsed = CONTENT_SCHEMAS[key].safeParse(row.value);
    if (parsed.success) (out as unknown as Record<ContentKey, unknown>)[key] = parsed.data;
    else log.warn({ key, locale }, "content entry no longer valid; showing the default");
  }
  return out;
}

const CENTRE = `SELECT "value" FROM "ContentEntry" WHERE "key" = $1 AND "locale" = $2`;

/**
 * The service centre (name, address, hours, hotline) as the admins last saved it, else the default: what the
 * page chrome shows on every page, so it reads this one entry only.
 */
export async function centreContent(db: Sql, locale: Locale): Promise<SiteContent["centre"]> {
  // on plain SQL (lib/db/lean.ts): every document's layout asks for it, and Prisma's query engine was ~0.15 ms of it
  const [row] = await sqlRows<{ value: unknown }>(db, CENTRE, ["centre", locale]);
  const parsed = row ? CONTENT_SCHEMAS.centre.safeParse(row.value) : undefined;
  if (parsed && !parsed.success)
    log.warn({ key: "centre", locale }, "content entry no longer valid; showing the default");
  return parsed?.success ? parsed.data : defaultContent(locale).centre;
}

/** The home page's notices that are current at `now`. */
export function currentNotices(notices: readonly Notice[], now: Date): Notice[] {
  const t = now.getTime();
  return notices.filter((n) => (!n.from || Date.parse(n.from) <= t) && (!n.until || t < Date.parse(n.until)));
}

/**
 * JSON text as typed by the admin → the entry's value, or STAFF_CONTENT_INVALID naming where it is wrong.
 * Used for the preview as well as for saving, so the preview shows exactly what would be saved.
 */
export function parseContent(key: ContentKey, text: string): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DomainError("STAFF_CONTENT_INVALID", { key, problem: e instanceof Error ? e.message : "JSON" });
  }
  const parsed = CONTENT_SCHEMAS[key].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DomainError("STAFF_CONTENT_INVALID", {
      key,
      problem: `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    });
  }
  return parsed.data;
}

export interface ContentView {
  key: ContentKey;
  locale: Locale;
  value: unknown;
  isDefault: boolean;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export async function listContent(db: Tx, locale: Locale): Promise<ContentView[]> {
  const current = await siteContent(db, locale);
  const rows = await db.contentEntry.findMany({ where: { locale } });
  return CONTENT_KEYS.map((key) => {
    const row = rows.find((r) => r.key === key);
    return {
      key,
      locale,
      value: current[key],
      isDefault: !row,
      updatedAt: row?.updatedAt ?? null,
      updatedBy: row?.updatedBy ?? null,
    };
  });
}

/** Saves an entry (validated) or, with `reset`, goes back to the default; either way one audit event. */
export async function updateContent(
  db: Db,
  args: { key: ContentKey; locale: Locale; text?: string; reset?: boolean; actor: Actor; clock: Clock },
): Promise<ContentView> {
  const value = args.reset ? null : parseContent(args.key, args.text ?? "");
  return withTx(db, async (tx) => {
    const where = { key_locale: { key: args.key, locale: args.locale } };
    const before = await tx.contentEntry.findUnique({ where });
    if (value === null) {
      if (before) await tx.contentEntry.delete({ where });
    } else {
      const data = {
        value: value as Prisma.InputJsonValue,
        updatedBy: args.actor.id ?? null,
        updatedAt: args.clock.now(),
      };
      await tx.contentEntry.upsert({ where, create: { key: args.key, locale: args.locale, ...data }, update: data });
    }
    await appendAudit(
      tx,
      {
        ...actorFields(args.actor),
        action: value === null ? "content.reset" : "content.updated",
        targetType: "content",
        targetId: `${args.key}:${args.locale}`,
        data: { from: before?.value ?? null, to: (value as Prisma.InputJsonValue) ?? null },
      },
      args.clock,
    );
    return (await listContent(tx, args.locale)).find((c) => c.key === args.key)!;
  });
}
