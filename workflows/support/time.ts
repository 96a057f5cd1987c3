/** Time in workflow code. */

/** Now, as an ISO string: deterministic in workflows, where `Date` is the workflow task's time. */
export function nowIso(): string {
  return new Date().toISOString();
}
