"use client";

import { useEffect, useState } from "react";
import QRCode from "qrcode";

/**
 * The QR code of `text` (Alipay's qr_code link), drawn in the browser: the server sends the link only. Drawing one
 * took ~0.5 ms of the portal's CPU per payment (the encoder tries all eight masks), ~4 % of a saturated portal's
 * work on a renewal (bench/README.md, twenty-first session), and its SVG made the answer ~10 KB longer.
 */
export function QrCode({ text, alt, size = 220 }: { text: string; alt: string; size?: number }) {
  const [svg, setSvg] = useState<{ text: string; svg: string } | null>(null);
  useEffect(() => {
    let current = true;
    QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 1 }).then(
      (s) => current && setSvg({ text, svg: s }),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [text]);
  if (svg?.text !== text) return <div style={{ width: size, height: size }} aria-busy="true" />;
  return (
    <img
      src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg.svg)}`}
      alt={alt}
      width={size}
      height={size}
      data-testid="qr-code"
    />
  );
}
