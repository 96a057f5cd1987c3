/**
 * The order's inbox: events in arrival order, payments deduplicated by their id (Stripe redelivers
 * and the platform may post a payment the webhook also brings). Events still queued when the order
 * ends are listed as ignored, never silently dropped.
 */
import { condition } from '@temporalio/workflow';
import type { OrderLifecycle } from '../order';
import type { PaymentEvent } from '../order-events';
import { nowIso } from '../../workflows/support/time';
import type { InboxEvent } from './definitions';

export class Inbox {
  private readonly events: InboxEvent[];
  private readonly seenPaymentIds: Set<string>;
  /** How often `next` answered (an event or a deadline) in this run: the Keap steps since belong to its answer. */
  answered = 0;
  /** The event `next` answered last (undefined for a deadline), being handled now. */
  private current: InboxEvent | undefined;
  /** Payments were taken out of the inbox since `next` answered (the handling cannot start over). */
  private tookPayments = false;

  constructor(
    private readonly lifecycle: OrderLifecycle,
    carried?: { inbox: InboxEvent[]; seenPaymentIds: string[] },
  ) {
    this.events = carried ? [...carried.inbox] : [];
    this.seenPaymentIds = new Set(carried?.seenPaymentIds);
  }

  /** A payment, unless its id was seen before. */
  receivePayment(payment: PaymentEvent): void {
    if (!this.claimPaymentId(payment.id)) return;
    this.events.push({ kind: 'payment', payment });
  }

  receive(event: Exclude<InboxEvent, { kind: 'payment' }>): void {
    this.events.push(event);
  }

  /** Marks a payment id as handled (the order's own checkout payment), so a webhook copy is ignored. */
  claimPaymentId(id: string): boolean {
    if (this.seenPaymentIds.has(id)) return false;
    this.seenPaymentIds.add(id);
    return true;
  }

  /** Drops an already-queued copy of a payment (for example, a webhook that beat the order post). */
  takeQueuedPayment(id: string): PaymentEvent | undefined {
    const index = this.events.findIndex((e) => e.kind === 'payment' && e.payment.id === id);
    if (index < 0) return undefined;
    const [event] = this.events.splice(index, 1);
    return event?.kind === 'payment' ? event.payment : undefined;
  }

  /** The next event, or 'deadline' if none arrives before it; `summary` labels the timer in the UI. */
  async next(deadline?: string, summary?: string): Promise<InboxEvent | 'deadline'> {
    if (deadline === undefined) {
      await condition(() => this.events.length > 0);
    } else {
      const wait = Math.max(1, Date.parse(deadline) - Date.now());
      if (!(await condition(() => this.events.length > 0, wait, { summary }))) {
        this.answered += 1;
        this.current = undefined;
        this.tookPayments = false;
        return 'deadline';
      }
    }
    const event = this.events.shift() as InboxEvent;
    this.answered += 1;
    this.current = event;
    this.tookPayments = false;
    return event;
  }

  hasPayments(): boolean {
    return this.events.some((e) => e.kind === 'payment');
  }

  /** Takes every queued payment out of the inbox, in arrival order (other events stay). */
  takePayments(): PaymentEvent[] {
    const payments = this.events.flatMap((e) => (e.kind === 'payment' ? [e.payment] : []));
    if (payments.length > 0) {
      this.events.splice(0, this.events.length, ...this.events.filter((e) => e.kind !== 'payment'));
      this.tookPayments = true;
    }
    return payments;
  }

  /** Lists every queued payment as ignored, for `reason`, when the order ends. */
  drain(reason: string): void {
    for (const event of this.events.splice(0)) {
      if (event.kind === 'payment') this.ignorePayment(event.payment, reason);
    }
  }

  ignorePayment(payment: PaymentEvent, reason: string): void {
    this.lifecycle.ignoredPayments.push({ id: payment.id, reason });
    this.lifecycle.updatedAt = nowIso();
  }

  /** What continue-as-new carries. */
  carry(): { inbox: InboxEvent[]; seenPaymentIds: string[] } {
    return { inbox: [...this.events], seenPaymentIds: [...this.seenPaymentIds] };
  }

  /** Whether the current event's handling can start over in a next run: nothing was taken out of the inbox for it. */
  get handlingCarriable(): boolean {
    return !this.tookPayments;
  }

  /**
   * What continue-as-new carries while the first Keap step of the current event waits: that event
   * first again, so the next run handles it from the start (nothing of its handling is done yet).
   */
  carryHandling(): { inbox: InboxEvent[]; seenPaymentIds: string[] } {
    const carried = this.carry();
    return this.current ? { ...carried, inbox: [this.current, ...carried.inbox] } : carried;
  }
}
