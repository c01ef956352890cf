import { describe, expect, it } from "vitest";
import { alipayAppLink } from "./app-link";

describe("the open-in-Alipay link", () => {
  it("hands the precreate QR content to the Alipay app's scanner, encoded", () => {
    expect(alipayAppLink("https://qr.alipay.com/bax01234?x=1&y=2", false)).toBe(
      "alipays://platformapi/startapp?saId=10000007&qrcode=https%3A%2F%2Fqr.alipay.com%2Fbax01234%3Fx%3D1%26y%3D2",
    );
  });
  it("opens the sandbox's scan-and-pay page itself, since the sandbox has no app", () => {
    expect(alipayAppLink("http://localhost:3000/sandbox/alipay/pay/abc", true)).toBe(
      "http://localhost:3000/sandbox/alipay/pay/abc",
    );
  });
});
