import { writeFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "@playwright/test";

/**
 * `npx tsx scripts/favicon.ts`: draws the site's mark (the header's "CA" square, in the brand colour) at 16, 32
 * and 48 pixels with chromium and writes them as one icon file, app/favicon.ico, which Next serves as a static
 * /favicon.ico. The file is committed; run this again only when the mark changes.
 *
 * An ICO file is a 6-byte header (reserved 0, type 1 = icon, count) and a 16-byte entry per image (width, height,
 * colours 0, reserved 0, planes 1, bits 32, byte length, offset); since Windows Vista each image may be a PNG.
 */

const SIZES = [16, 32, 48];
const BRAND = "#0b4f8a";

function mark(size: number): string {
  const style = [
    `width:${size}px`,
    `height:${size}px`,
    `border-radius:${Math.round(size * 0.2)}px`,
    `background:${BRAND}`,
    "color:#fff",
    "display:grid",
    "place-items:center",
    `font:700 ${Math.round(size * 0.5)}px/1 'DejaVu Sans',sans-serif`,
    "letter-spacing:-0.04em",
  ].join(";");
  return `<body style="margin:0;background:transparent"><div style="${style}">CA</div></body>`;
}

function icoFile(images: { size: number; png: Buffer }[]): Buffer {
  const head = Buffer.alloc(6 + 16 * images.length);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(images.length, 4);
  let offset = head.length;
  images.forEach(({ size, png }, i) => {
    const at = 6 + 16 * i;
    head.writeUInt8(size % 256, at); // 256 is written as 0
    head.writeUInt8(size % 256, at + 1);
    head.writeUInt16LE(1, at + 4);
    head.writeUInt16LE(32, at + 6);
    head.writeUInt32LE(png.length, at + 8);
    head.writeUInt32LE(offset, at + 12);
    offset += png.length;
  });
  return Buffer.concat([head, ...images.map((i) => i.png)]);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  try {
    const page = await browser.newPage();
    const images = [];
    for (const size of SIZES) {
      await page.setViewportSize({ width: size, height: size });
      await page.setContent(mark(size));
      const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
      images.push({ size, png });
    }
    const out = path.resolve("app/favicon.ico");
    writeFileSync(out, icoFile(images));
    console.log(`${out}: ${SIZES.join(", ")} px`);
  } finally {
    await browser.close();
  }
}

await main();
