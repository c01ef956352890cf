import type { Messages } from "@/lib/messages";
import styles from "../renew.module.css";

const ORDER = ["key", "details", "review", "pay", "issue"] as const;
export type StepKey = (typeof ORDER)[number];

/**
 * The five steps of the seed guide; unified-payment holders see 支付 as 无需支付. `complete` marks the current
 * step as finished too (开票信息 after paying: 支付 is done; 下证成功: all five are done).
 */
export function Stepper({
  t,
  current,
  free,
  complete,
}: {
  t: Messages["wizard"];
  current: StepKey;
  free?: boolean;
  complete?: boolean;
}) {
  const at = ORDER.indexOf(current);
  return (
    <nav aria-label={t.title}>
      <ol className={`steps ${styles.steps}`} data-testid="stepper">
        {ORDER.map((key, i) => {
          const done = i < at || (complete && i === at);
          const now = i === at && !complete;
          return (
            <li
              key={key}
              className={done ? "done" : now ? "current" : undefined}
              aria-current={now ? "step" : undefined}
              data-step={key}
            >
              <span className={styles.stepNo}>{i + 1}</span>{" "}
              <span className={styles.stepLabel}>{key === "pay" && free ? t.noPayStep : t.steps[key]}</span>
              {done ? <span className={styles.srOnly}> ({t.issue.stepDone})</span> : null}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
