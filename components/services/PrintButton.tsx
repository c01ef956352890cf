"use client";

export function PrintButton({ label, className }: { label: string; className?: string }) {
  return (
    <button type="button" className={`btn ${className ?? ""}`} onClick={() => window.print()}>
      {label}
    </button>
  );
}
