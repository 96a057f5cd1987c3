/**
 * An order behind on its payments (PastDue: nothing arrived by the due date plus grace;
 * PaymentFailed: a charge failed) shows it, and the account's past-due tag goes on the Keap contact
 * until a payment arrives. The tag is how merchants start their own Keap automation on it.
 */
import type { OrderLifecycle } from '../order';
import type { PaymentFailureEvent } from '../order-events';
import type { KeapWrites } from './keap-writes';
import type { OrderVisibility } from './visibility';

export class Overdue {
  /** Whether the past-due tag is on the contact now. */
  tagged: boolean;

  constructor(
    private readonly lifecycle: OrderLifecycle,
    private readonly visibility: OrderVisibility,
    private readonly keap: KeapWrites,
    private readonly pastDueTag: string | undefined,
    carriedTagged: boolean | undefined,
  ) {
    this.tagged = carriedTagged ?? false;
  }

  get overdue(): boolean {
    return this.visibility.overdue;
  }

  /** PastDue or PaymentFailed: visible status, and the account's tag on the Keap contact. */
  async mark(status: 'PastDue' | 'PaymentFailed', details: string): Promise<void> {
    this.visibility.setStatus(status, details);
    if (this.pastDueTag && !this.tagged && this.lifecycle.keapContactId) {
      await this.keap.tag(this.pastDueTag, 'apply');
      this.tagged = true;
    }
  }

  /** A failed charge: listed in the lifecycle, and the order shows PaymentFailed (with the tag). */
  async paymentFailed(failure: PaymentFailureEvent, context: string, money: (amount: number) => string): Promise<void> {
    const { id, amount, failedAt: at, reason } = failure;
    // Listed once: a redelivery, or the same event handled again by a run that continued as new
    // while this order's tag waited for a reconnect (RECONNECT_BACKOFF).
    if (!this.lifecycle.failures.some((f) => f.id === id && f.at === at)) {
      this.lifecycle.failures.push({ id, amount, at, reason });
    }
    await this.mark('PaymentFailed', `a charge of ${money(amount)} failed; ${context}`);
  }

  /** A payment arrived: clear the past-due tag if we applied it. */
  async clear(): Promise<void> {
    if (this.pastDueTag && this.tagged && this.lifecycle.keapContactId) {
      await this.keap.tag(this.pastDueTag, 'remove');
    }
    this.tagged = false;
  }
}
