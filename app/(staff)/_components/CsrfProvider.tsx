"use client";
import { createContext, useContext, type ReactNode } from "react";

const Csrf = createContext<string>("");

/** Hands the session's CSRF token to every form below it; the server checks it on each state-changing request. */
export function CsrfProvider({ token, children }: { token: string; children: ReactNode }) {
  return <Csrf.Provider value={token}>{children}</Csrf.Provider>;
}

export function useCsrf(): string {
  return useContext(Csrf);
}
