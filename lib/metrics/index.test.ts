import { expect, test } from "vitest";
import { metrics, registry, routePattern } from "./index";

test("route labels are patterns: dynamic segments become their parameter names", () => {
  expect(routePattern("/api/renew/summary")).toBe("/api/renew/summary");
  expect(routePattern("/api/staff/orders/6f1c0d2e", { id: "6f1c0d2e" })).toBe("/api/staff/orders/[id]");
  expect(routePattern("/downloads/assistant/Setup%20v1.exe", { file: "Setup v1.exe" })).toBe(
    "/downloads/assistant/[file]",
  );
  expect(routePattern("/a/x/y", { rest: ["x", "y"] })).toBe("/a/[rest]/[rest]");
});

test("the counters land in the default registry under certrenew_ names", async () => {
  metrics.ocspAnswers.inc({ source: "memory" });
  metrics.alipayNotifications.inc({ outcome: "success" });
  const text = await registry.metrics();
  expect(text).toMatch(/^certrenew_ocsp_answers_total\{source="memory"\} \d+/m);
  expect(text).toMatch(/^certrenew_alipay_notifications_total\{outcome="success"\} \d+/m);
  expect(text).toContain("# TYPE certrenew_http_request_duration_seconds histogram");
});
