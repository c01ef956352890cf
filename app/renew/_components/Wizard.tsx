"use client";

import { useCallback, useEffect, useRef, useState, type ComponentType } from "react";
import dynamic from "next/dynamic";
import { useRouter } from "next/navigation";
import { apiGet } from "@/lib/api/client";
import { StepNavContext } from "@/components/StepNav";
import { PAGE_PATH, pageOfPath, shownPage, type WizardPage } from "../_lib/steps";
import { KeyPage } from "./KeyPage";
import type { PageProps } from "./WizardPages";

/**
 * The pages after the sign-in, in a script of their own: a first visit to the insert-key page does not wait for
 * them (the wizard fetches it once that page is up, while the holder types the PIN). A page the server renders
 * comes with it, as Next's dynamic components do.
 */
const PAGES: Record<WizardPage, ComponentType<PageProps>> = {
  details: dynamic(() => import("./WizardPages").then((m) => m.DetailsPage)),
  review: dynamic(() => import("./WizardPages").then((m) => m.ReviewPage)),
  pay: dynamic(() => import("./WizardPages").then((m) => m.PayPage)),
  invoice: dynamic(() => import("./WizardPages").then((m) => m.InvoicePage)),
  issue: dynamic(() => import("./WizardPages").then((m) => m.IssuePage)),
  done: dynamic(() => import("./WizardPages").then((m) => m.DonePage)),
};

/**
 * What is on screen: the insert-key page (no renewal known yet), or a page after the sign-in with the renewal as the
 * portal last told it; `at`: when (ms since the epoch).
 */
export type Shown =
  { page: "key"; summary: null; at: number } | { page: WizardPage; summary: PageProps["summary"]; at: number };

type Props = Omit<PageProps, "summary" | "at"> & {
  /** the page the server rendered */
  first: Shown;
  /** the insert-key page's own: the installer's link, and whether the holder came back after the session ended */
  keyPage: { downloadHref: string; expired: boolean };
};

/**
 * The renewal wizard (插入U-Key → 填写信息 → 申请表 → 支付 → 开票 → 下证 → 下证成功), its pages changing into each
 * other in the browser. The server renders the page a holder opens (requireHolderOn: the page the renewal's step
 * allows); from there each form's next page is drawn here from `/api/renew/summary`, under the same rule
 * (steps.ts shownPage), with its address pushed to the history. An App Router navigation rendered the page on the
 * server instead: ~2.3 ms of the portal's CPU for each of a renewal's six page changes, against ~0.4 ms for the
 * summary (bench/README.md). Back and forward show the page of the address the same way. When the summary cannot
 * be had (the session ended, the network), the page is asked of the server as before.
 */
export function Wizard({ first, keyPage, ...rest }: Props) {
  const router = useRouter();
  const [shown, setShown] = useState<Shown>(first);
  // a new render from the server (a document, the router's refresh) brings its own page
  const [given, setGiven] = useState(first);
  if (given !== first) {
    setGiven(first);
    setShown(first);
  }
  const latest = useRef(0);
  const mounted = useRef(true);
  const box = useRef<HTMLDivElement>(null);
  const opening = useRef(true);

  const move = useCallback(
    async (path: string, history: "push" | "replace") => {
      const wanted = pageOfPath(path);
      if (!wanted) return router.push(path);
      const ask = ++latest.current;
      if (wanted === "key") {
        // the insert-key page needs no session: drawn at once
        if (history === "push") window.history.pushState(null, "", PAGE_PATH.key);
        setShown({ page: "key", summary: null, at: Date.now() });
        return;
      }
      let now: PageProps["summary"];
      try {
        now = await apiGet("/api/renew/summary");
      } catch {
        return router.push(path);
      }
      if (ask !== latest.current || !mounted.current) return;
      const where = shownPage(wanted, now);
      if ("path" in where) return router.push(where.path);
      const url = PAGE_PATH[where.page];
      if (history === "push") window.history.pushState(null, "", url);
      else if (url !== window.location.pathname) window.history.replaceState(null, "", url);
      setShown({ page: where.page, summary: now, at: Date.now() });
    },
    [router],
  );

  useEffect(() => {
    void import("./WizardPages");
  }, []);

  useEffect(() => {
    mounted.current = true;
    const traversed = () => {
      if (pageOfPath(window.location.pathname)) void move(window.location.pathname, "replace");
    };
    window.addEventListener("popstate", traversed);
    return () => {
      mounted.current = false;
      window.removeEventListener("popstate", traversed);
    };
  }, [move]);

  // a page drawn here opens at its top, its heading focused (what a screen reader announces), as a new page would
  useEffect(() => {
    if (opening.current) {
      opening.current = false;
      return;
    }
    window.scrollTo(0, 0);
    const heading = box.current?.querySelector("h1");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }, [shown]);

  const go = useCallback((path: string) => void move(path, "push"), [move]);
  const key = `${shown.page}@${shown.at}`;
  let page: React.ReactNode;
  if (shown.page === "key") page = <KeyPage key={key} {...rest} {...keyPage} />;
  else {
    const Page = PAGES[shown.page];
    page = <Page key={key} {...rest} summary={shown.summary} at={shown.at} />;
  }
  return (
    <StepNavContext.Provider value={go}>
      <div ref={box}>{page}</div>
    </StepNavContext.Provider>
  );
}
