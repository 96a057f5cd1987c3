/**
 * Calendar arithmetic for installment and renewal due dates. Pure and deterministic (workflow-safe),
 * in UTC. Months add like Stripe's billing anchors: the day of the anchor is kept where the month has
 * it and clamped to the month's last day where it does not (Jan 31 → Feb 28 → Mar 31).
 */
import type { Interval } from '../orders/order-schema';

const DAY_MS = 86_400_000;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** The anchor moved forward by `count` intervals (always from the anchor, so clamping never drifts). */
export function addIntervals(anchorIso: string, interval: Interval, count: number): string {
  const anchor = new Date(anchorIso);
  if (Number.isNaN(anchor.getTime())) throw new RangeError(`Not a date: ${anchorIso}`);
  switch (interval) {
    case 'day':
      return new Date(anchor.getTime() + count * DAY_MS).toISOString();
    case 'week':
      return new Date(anchor.getTime() + count * 7 * DAY_MS).toISOString();
    case 'month':
    case 'year': {
      const months = interval === 'month' ? count : count * 12;
      const total = anchor.getUTCMonth() + months;
      const year = anchor.getUTCFullYear() + Math.floor(total / 12);
      const month = ((total % 12) + 12) % 12;
      const day = Math.min(anchor.getUTCDate(), daysInMonth(year, month));
      const moved = new Date(anchor.getTime());
      moved.setUTCFullYear(year, month, day);
      return moved.toISOString();
    }
  }
}

export function addDays(iso: string, days: number): string {
  return new Date(new Date(iso).getTime() + days * DAY_MS).toISOString();
}
