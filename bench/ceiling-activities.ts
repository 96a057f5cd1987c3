/** The ceiling benchmark's only activity: does nothing, so all that is measured is Temporal's own round trip. */
export function noop(): Promise<void> {
  return Promise.resolve();
}
