/**
 * Keap's rate-limit response headers (`x-keap-product-{throttle,quota}-*`). Owns the one parser of
 * their `-time-unit` values, shared by the 429 wait (errors.ts) and the client-side pacing
 * (pacing.ts), so the two can never read a unit differently.
 */

const UNIT_MS = new Map<string, number>([
  ['second', 1_000],
  ['minute', 60_000],
  ['hour', 3_600_000],
  ['day', 86_400_000],
]);

/**
 * Milliseconds in one `x-keap-product-*-time-unit` (e.g. `second`, `Minutes`, `HOURS`), or
 * undefined when the header is missing or names a unit we do not know.
 */
export function timeUnitMs(unit: string | null | undefined): number | undefined {
  if (!unit) return undefined;
  return UNIT_MS.get(unit.toLowerCase().replace(/s$/, ''));
}
