"use client";

import { useRouter } from "next/navigation";
import { apiPost } from "@/lib/api/client";

export function OrgLogout({ label, csrf }: { label: string; csrf: string }) {
  const router = useRouter();
  return (
    <button
      type="button"
      className="btn"
      onClick={() => void apiPost("/api/org/logout", {}, { csrf }).finally(() => router.refresh())}
    >
      {label}
    </button>
  );
}
