import { describe, expect, it } from "vitest";
import { navigationRequest } from "./pages";

// what chromium sent for the wizard's navigations (Next 16, tests/e2e/renew-selfpay.spec.ts with a request log)
const SEEN = [
  {
    from: "/renew",
    to: "/renew/details",
    path: "/renew/details?_rsc=OOQdcyl9cc8e4Wzb",
    tree: "%5B%22%22%2C%7B%22children%22%3A%5B%22renew%22%2C%7B%22children%22%3A%5B%22__PAGE__%22%2C%7B%7D%2Cnull%2Cnull%2C0%5D%7D%2Cnull%2Cnull%2C0%5D%7D%2Cnull%2Cnull%2C16%5D",
  },
  {
    from: "/renew/details",
    to: "/renew/review",
    path: "/renew/review?_rsc=EZa3PO5n4t0tTF6E",
    tree: "%5B%22%22%2C%7B%22children%22%3A%5B%22renew%22%2C%7B%22children%22%3A%5B%22details%22%2C%7B%22children%22%3A%5B%22__PAGE__%22%2C%7B%7D%2Cnull%2Cnull%2C0%5D%7D%2Cnull%2Cnull%2C0%5D%7D%2Cnull%2Cnull%2C0%5D%7D%2Cnull%2Cnull%2C16%5D",
  },
  { from: "/renew/issue", to: "/renew/done", path: "/renew/done?_rsc=GToSeoYmv1_-htHU" },
];

describe("the simulated browser's navigations (lib/dev/sim/pages.ts)", () => {
  it("ask what chromium asks: the same state tree, next-url and cache-busting _rsc", () => {
    for (const s of SEEN) {
      const r = navigationRequest(s.from, s.to);
      expect(r.path).toBe(s.path);
      expect(r.headers).toMatchObject({
        rsc: "1",
        "next-url": s.from,
        ...(s.tree ? { "next-router-state-tree": s.tree } : {}),
      });
    }
  });
});
