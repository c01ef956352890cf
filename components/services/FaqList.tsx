"use client";

import { useState } from "react";
import { searchFaq, type FaqEntry } from "@/lib/content/services";
import styles from "./services.module.css";

interface Props {
  entries: FaqEntry[];
  t: { faqSearch: string; faqSearchHint: string; faqNone: string };
}

/** The FAQ with a search box that filters the questions as the holder types. */
export function FaqList({ entries, t }: Props) {
  const [query, setQuery] = useState("");
  const shown = searchFaq(entries, query);
  return (
    <div className="stack">
      <div className="field">
        <label htmlFor="faq-search">{t.faqSearch}</label>
        <input
          id="faq-search"
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder={t.faqSearchHint}
          aria-controls="faq-list"
        />
      </div>
      <div id="faq-list" aria-live="polite">
        {shown.length === 0 && <p className="muted">{t.faqNone}</p>}
        {shown.map((e) => (
          <details key={e.id} id={e.id} className={styles.faqItem} open={query.trim() !== ""}>
            <summary>{e.q}</summary>
            {e.a.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </details>
        ))}
      </div>
    </div>
  );
}
