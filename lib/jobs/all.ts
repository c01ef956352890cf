import type { Job } from "./scheduler";

/** Every periodic job of the portal; each domain exports its Job and it is listed here. */
export const allJobs: Job[] = [];
