"use client";

import { useEffect, useRef, type ReactNode } from "react";

/**
 * A step's heading that the page opens at: the wizard moves between steps by client navigation, which can keep
 * the previous page's scroll position (on a phone the pay page opened below its heading). Focus also tells a
 * screen reader where it is now.
 */
export function PageHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    window.scrollTo(0, 0);
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} style={{ outline: "none" }}>
      {children}
    </h1>
  );
}
