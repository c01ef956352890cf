import { describe, expect, it } from "vitest";
import { drawCaptcha } from "./draw";

const ALLOWED = /^[A-HJ-Za-hjkmnp-z2-9]{5}$/;

describe("drawCaptcha", () => {
  it("draws five characters from svg-captcha's set, without the ones people confuse", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const { text } = drawCaptcha();
      expect(text).toMatch(ALLOWED);
      for (const ch of text) seen.add(ch);
    }
    // 300 × 5 draws from 56 characters: a uniform pick misses none of them in practice
    expect(seen.size).toBe(56);
  });

  it("writes path data of whole tenths of a pixel, inside the image give or take a stroke", () => {
    for (let i = 0; i < 50; i++) {
      const { svg } = drawCaptcha();
      expect(svg).toMatch(
        /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="150" height="50" viewBox="0 0 1500 500">/,
      );
      const paths = [...svg.matchAll(/<path [^>]*d="([^"]+)"[^>]*\/>/g)].map((m) => m[1]);
      expect(paths).toHaveLength(10); // five glyphs, five curves
      for (const d of paths) {
        expect(d).toMatch(/^M(?:[MLQCTZ]|-?\d+ -?\d+ ?)+$/);
        const numbers = d.match(/-?\d+/g)!.map(Number);
        const [xs, ys] = [numbers.filter((_, j) => j % 2 === 0), numbers.filter((_, j) => j % 2 === 1)];
        expect([Math.min(...xs, ...ys), Math.max(...xs), Math.max(...ys)]).toSatisfy(
          ([low, right, bottom]: number[]) => low > -300 && right < 1800 && bottom < 800,
        );
      }
    }
  });

  it("puts the glyphs among the curves in no fixed order", () => {
    const firstIsGlyph = Array.from({ length: 100 }, () => /<rect[^>]*\/><path fill=/.test(drawCaptcha().svg));
    expect(firstIsGlyph).toContain(true);
    expect(firstIsGlyph).toContain(false);
  });
});
