import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import type { z } from "zod";
import type { OrderState as DbOrderState } from "../generated/prisma/client";
import type { InvoiceLinkView } from "../payments/invoice";
import type { OrderView } from "../renewal/flow";
import type { revokeByHolder } from "../services/revoke";
import type { CertificateStatus } from "../services/status";
import type { confirmUnlock, releaseSoPin, startUnlock } from "../services/unlock";
import { ApiError, apiGet, apiPost, describeError } from "./client";
import type { OrderState } from "./common";
import type { InvoiceLinkResponse } from "./invoice";
import type { OrderResponse } from "./renew";
import type * as services from "./services";

/** What JSON.stringify makes of a value: dates become ISO strings. */
type Json<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;
type Answer<F extends (...args: never[]) => Promise<unknown>> = Json<Awaited<ReturnType<F>>>;

describe("the HTTP contract", () => {
  it("describes what the routes answer with the domain's results", () => {
    expectTypeOf<Json<OrderView>>().toExtend<OrderResponse>();
    expectTypeOf<Json<InvoiceLinkView>>().toExtend<InvoiceLinkResponse>();
    expectTypeOf<Json<CertificateStatus>>().toExtend<services.CertificateStatusResponse>();
    expectTypeOf<Answer<typeof revokeByHolder>>().toExtend<services.RevokedResponse>();
    expectTypeOf<Answer<typeof startUnlock>>().toExtend<services.UnlockStartedResponse>();
    expectTypeOf<Answer<typeof releaseSoPin>>().toExtend<services.SoPinsResponse>();
    expectTypeOf<Answer<typeof confirmUnlock>>().toExtend<z.infer<typeof services.UnlockConfirmedResponse>>();
    expectTypeOf<z.infer<typeof OrderState>>().toEqualTypeOf<DbOrderState>();
  });
});

describe("the browser's API client", () => {
  afterEach(() => vi.unstubAllGlobals());

  function answer(status: number, body: unknown) {
    const fetch = vi.fn(async () => new Response(JSON.stringify(body), { status }));
    vi.stubGlobal("fetch", fetch);
    return fetch;
  }

  it("posts JSON with the CSRF header and one idempotency key, and returns the answer", async () => {
    const fetch = answer(200, { challenge: "c", expiresAt: "2026-12-03T00:00:00.000Z" });
    const r = await apiPost("/api/renew/challenge", { serial: "0a" }, { csrf: "t", idempotencyKey: "key-12345" });
    expect(r.challenge).toBe("c");
    const [path, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(path).toBe("/api/renew/challenge");
    expect(init.body).toBe('{"serial":"0a"}');
    expect(init.headers).toMatchObject({ "x-csrf-token": "t", "idempotency-key": "key-12345" });
  });

  it("puts a GET's query in the URL", async () => {
    const fetch = answer(200, { state: "paid", paid: true, step: "invoice" });
    const id = "5f0c5d3e-8b7a-4c1e-9f2a-1d2e3f4a5b6c";
    await apiGet("/api/renew/payment", { query: { orderId: id } });
    expect((fetch.mock.calls[0] as unknown as [string])[0]).toBe(`/api/renew/payment?orderId=${id}`);
  });

  it("turns an error answer into an ApiError with the server's code, message and field messages", async () => {
    answer(400, { error: { code: "VALIDATION_FAILED", message: "请检查", details: { fields: { email: "邮箱" } } } });
    const e = await apiPost("/api/services/unlock/release", { requestId: "x", code: "1" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: "VALIDATION_FAILED", status: 400, details: { fields: { email: "邮箱" } } });
    expect(describeError(e, "?")).toBe("请检查 邮箱");
  });

  it("reports an unreachable portal as NETWORK", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))),
    );
    vi.stubGlobal("document", { documentElement: { lang: "en" } });
    const e = await apiGet("/api/services/captcha").catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "NETWORK", message: expect.stringContaining("could not be reached") });
  });
});
