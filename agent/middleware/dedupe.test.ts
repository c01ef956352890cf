import { describe, expect, it } from "vitest";
import type { TokenSummary } from "../backends/types";
import { dedupeTokens } from "./dedupe";

const token = (id: string, ders: string[]): TokenSummary =>
  ({ id, certificates: ders.map((der) => ({ der: Buffer.from(der).toString("base64") })) }) as unknown as TokenSummary;

describe("a key seen by two libraries", () => {
  it("is shown once, by the first library; other keys and keys without certificates stay", () => {
    const shown = dedupeTokens([
      token("feitian:1", ["cert-a"]),
      token("mtoken:9", ["cert-b"]),
      token("opensc:1", ["cert-a"]),
      token("opensc:2", []),
      token("skf1:1", ["cert-a", "cert-c"]),
    ]);
    expect(shown.map((t) => t.id)).toEqual(["feitian:1", "mtoken:9", "opensc:2", "skf1:1"]);
  });
});
