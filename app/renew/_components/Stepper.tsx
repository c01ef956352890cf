import type { Messages } from "@/lib/messages";
import styles from "../renew.module.css";

const ORDER = ["key", "details", "review", "pay", "issue"] as const;
export type StepKey = (typeof ORDER)[number];

/** The five steps of the seed guide; unified-payment holders see 支付 as 无需支付. */
export function Stepper({ t, current, free }: { t: Messages["wizard"]; current: StepKey; free?: boolean }) {
  const at = ORDER.indexOf(current);
  return (
    <nav aria-label={t.title}>
      <ol className={`steps ${styles.steps}`}>
        {ORDER.map((key, i) => (
          <li
            key={key}
            className={i < at ? "done" : i === at ? "current" : undefined}
            aria-current={i === at ? "step" : undefined}
          >
            <span className={styles.stepNo}>{i + 1}</span>{" "}
            <span className={styles.stepLabel}>{key === "pay" && free ? t.noPayStep : t.steps[key]}</span>
          </li>
        ))}
      </ol>
    </nav>
  );
}
