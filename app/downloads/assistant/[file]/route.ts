import { readAssistantFile } from "@/lib/content/downloads";

export const dynamic = "force-dynamic";

const TYPES: Record<string, string> = {
  ".cjs": "application/javascript",
  ".md": "text/markdown; charset=utf-8",
  ".json": "application/json",
};

/** A file of the certificate assistant package (dist/assistant, built by `npm run assistant:pack`). */
export async function GET(_req: Request, { params }: { params: Promise<{ file: string }> }) {
  const { file } = await params;
  const body = readAssistantFile(file);
  if (!body)
    return new Response("Not found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  const ext = file.slice(file.lastIndexOf("."));
  return new Response(new Uint8Array(body), {
    headers: {
      "content-type": TYPES[ext] ?? "application/octet-stream",
      "content-disposition": `attachment; filename="${file}"`,
      "cache-control": "no-cache",
    },
  });
}
