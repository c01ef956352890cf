import type { Job } from "./scheduler";
import { mailDeliveryJob } from "../mail/worker";
import { expiryReminderJob } from "../mail/reminders";

/** Every periodic job of the portal; each domain exports its Job and it is listed here. */
export const allJobs: Job[] = [mailDeliveryJob, expiryReminderJob];
