"use client";

import { createContext, useCallback, useContext } from "react";
import { useRouter } from "next/navigation";

/** Moves a multi-step flow on to the page at `path`. */
export type StepNav = (path: string) => void;

/**
 * Given by a flow that changes its own pages in the browser (the renewal wizard, app/renew/_components/Wizard.tsx):
 * its forms move on without asking the server for the next page.
 */
export const StepNavContext = createContext<StepNav | null>(null);

/**
 * How a form moves on after its answer: the flow's own step change, or else the App Router's navigation. The same
 * function from render to render (effects may depend on it).
 */
export function useStepNav(): StepNav {
  const flow = useContext(StepNavContext);
  const router = useRouter();
  const navigate = useCallback<StepNav>((path) => router.push(path), [router]);
  return flow ?? navigate;
}
