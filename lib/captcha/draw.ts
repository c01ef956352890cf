import { getRandomValues, randomInt } from "node:crypto";
import svgCaptcha from "svg-captcha";

/**
 * The captcha image, drawn from svg-captcha's own font (Comismsh, which it bundles and loads) and character set.
 *
 * svg-captcha draws each character with the same outline every time, which a solver learns. Here each glyph's outline
 * goes through its own random rotation, shear and scale (baked into the coordinates, not a transform attribute a
 * solver could strip), every point is jittered, and curves in the text's colours cross it.
 *
 * A glyph's outline is read from the font once per character and kept: reading it and writing it out as
 * svg-captcha does was most of an image's cost. Coordinates are written as whole tenths of a pixel (the viewBox is
 * ten times the image's size), which is what the jitter leaves meaningful anyway.
 */

const WIDTH = 150;
const HEIGHT = 50;
const SCALE = 10; // viewBox units per pixel
const FONT_SIZE = 56; // svg-captcha's default
const LENGTH = 5;
const CHARS = [...svgCaptcha.options.charPreset!].filter((c) => !"0o1ilI".includes(c));
const BACKGROUND = "#f4f6f8";

// what this module reads of opentype.js's font, which svg-captcha keeps on its options without declaring it
type PathCommand = { type: string; x?: number; y?: number; x1?: number; y1?: number; x2?: number; y2?: number };
type Font = { charToGlyph(ch: string): { getPath(x: number, y: number, size: number): { commands: PathCommand[] } } };
const font = (svgCaptcha.options as { font?: Font }).font!;

// An image draws ~600 random numbers: they come from the CSPRNG a batch at a time, not in one call each.
const pool = new Uint32Array(2048);
let drawn = pool.length;
function unit(): number {
  if (drawn === pool.length) {
    getRandomValues(pool);
    drawn = 0;
  }
  return pool[drawn++] / 0x1_0000_0000;
}
const rand = (min: number, max: number) => min + unit() * (max - min);
/** a coordinate in pixels, written in the viewBox's tenths */
const at = (px: number) => Math.round(px * SCALE);

/** A glyph's commands (one letter each) and their points, in pixels from the centre of the glyph's box. */
type Outline = { ops: string; xy: Float64Array };
const POINTS: Record<string, number> = { M: 1, L: 1, Q: 2, C: 3, Z: 0 };
const outlines = new Map<string, Outline>();

function outline(ch: string): Outline {
  const known = outlines.get(ch);
  if (known) return known;
  let ops = "";
  const xy: number[] = [];
  for (const c of font.charToGlyph(ch).getPath(0, 0, FONT_SIZE).commands) {
    ops += c.type;
    if (c.type === "C") xy.push(c.x1!, c.y1!, c.x2!, c.y2!);
    else if (c.type === "Q") xy.push(c.x1!, c.y1!);
    if (c.type !== "Z") xy.push(c.x!, c.y!);
  }
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < xy.length; i += 2) {
    [minX, maxX] = [Math.min(minX, xy[i]), Math.max(maxX, xy[i])];
    [minY, maxY] = [Math.min(minY, xy[i + 1]), Math.max(maxY, xy[i + 1])];
  }
  const [cx, cy] = [(minX + maxX) / 2, (minY + maxY) / 2];
  const centred = Float64Array.from(xy, (v, i) => v - (i % 2 === 0 ? cx : cy));
  const made = { ops, xy: centred };
  outlines.set(ch, made);
  return made;
}

/** The glyph's outline turned, sheared and scaled at random around (x, y), each point jittered, as path data. */
function glyphPath(ch: string, x: number, y: number): string {
  const { ops, xy } = outline(ch);
  const angle = rand(-0.45, 0.45);
  const shear = rand(-0.35, 0.35);
  const [sx, sy] = [rand(0.8, 1.2), rand(0.8, 1.2)];
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  let d = "";
  let p = 0;
  for (const op of ops) {
    d += op;
    for (let n = POINTS[op]; n > 0; n--, p += 2) {
      const dx = xy[p] * sx + xy[p + 1] * shear;
      const dy = xy[p + 1] * sy;
      d += `${at(x + dx * cos - dy * sin + rand(-0.4, 0.4))} ${at(y + dx * sin + dy * cos + rand(-0.4, 0.4))}`;
      if (n > 1) d += " ";
    }
  }
  return d;
}

/** A saturated colour of one of 24 hues, dark enough to read on the light background. */
function colour(): string {
  const [h, s, l] = [Math.floor(unit() * 24) / 2, rand(0.6, 0.8), rand(0.4, 0.62)];
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + h) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return `#${((1 << 24) | (channel(0) << 16) | (channel(8) << 8) | channel(4)).toString(16).slice(1)}`;
}

const point = (x0: number, x1: number, y0: number, y1: number) => `${at(rand(x0, x1))} ${at(rand(y0, y1))}`;

/** Five characters from svg-captcha's set (without 0, o, 1, i, l, I) and their image as SVG markup. */
export function drawCaptcha(): { text: string; svg: string } {
  let text = "";
  for (let i = 0; i < LENGTH; i++) text += CHARS[randomInt(CHARS.length)];
  const spacing = (WIDTH - 2) / (LENGTH + 1);
  const parts = [...text].map(
    (ch, i) =>
      `<path fill="${colour()}" d="${glyphPath(ch, spacing * (i + 1) + rand(-2, 2), HEIGHT / 2 + rand(-3, 3))}"/>`,
  );
  // three long curves from edge to edge, as svg-captcha's noise, and two shorter ones through the text
  for (let i = 0; i < 3; i++) {
    const mid = () => point(WIDTH / 2 - 21, WIDTH / 2 + 21, 1, HEIGHT - 1);
    const d = `M${point(1, 21, 1, HEIGHT - 1)} C${mid()} ${mid()} ${point(WIDTH - 21, WIDTH - 1, 1, HEIGHT - 1)}`;
    parts.push(`<path d="${d}" stroke="${colour()}" stroke-width="${SCALE}" fill="none"/>`);
  }
  for (let i = 0; i < 2; i++) {
    const p = () => point(0, WIDTH, 5, HEIGHT - 5);
    const width = Math.round(rand(0.8, 1.5) * SCALE);
    parts.push(`<path d="M${p()} Q${p()} ${p()} T${p()}" stroke="${colour()}" stroke-width="${width}" fill="none"/>`);
  }
  // in no telling order: a solver cannot pick the text out by its place in the markup
  for (let i = parts.length - 1; i > 0; i--) {
    const j = Math.floor(unit() * (i + 1));
    [parts[i], parts[j]] = [parts[j], parts[i]];
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH * SCALE} ${HEIGHT * SCALE}">` +
    `<rect width="100%" height="100%" fill="${BACKGROUND}"/>${parts.join("")}</svg>`;
  return { text, svg };
}
