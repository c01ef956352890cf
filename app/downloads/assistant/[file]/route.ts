import { readAssistantFile } from "@/lib/content/downloads";

export const dynamic = "force-dynamic";

/** A file of the certificate assistant package (dist/assistant, built by `npm run assistant:pack`). */
export async function GET(_req: Request, { params }: { params: Promise<{ file: string }> }) {
  const { file } = await params;
  const body = readAssistantFile(file);
  if (!body)
    return new Response("Not found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  return new Response(new Uint8Array(body), {
    headers: {
      "content-type": file.endsWith(".exe")
        ? "application/vnd.microsoft.portable-executable"
        : "application/octet-stream",
      "content-disposition": `attachment; filename="${file}"`,
      "content-length": String(body.length),
      "cache-control": "no-cache",
    },
  });
}
