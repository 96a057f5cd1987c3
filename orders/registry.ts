/**
 * The orders the API has handed to Temporal (table orders), kept for as long as the database lives:
 * a repeat post months after the order's workflow closed and its history was deleted (namespace
 * retention) is still recognised as the same order, or as different content under a used id, and
 * never starts the order's life over.
 */
import type { Sql } from '../platform/database';
import type { PlaceOrderRequest } from './workflow/definitions';

export interface RegisteredOrder {
  contentFingerprint: string;
  /** Set once Temporal accepted the order; a registration without it was never placed. */
  placedAt?: string;
  /** The order as placed, for a run that records an event after the order's workflow closed. */
  request?: PlaceOrderRequest;
}

export class OrderRegistry {
  constructor(private readonly db: Sql) {}

  async get(accountId: string, orderId: string): Promise<RegisteredOrder | undefined> {
    const [row] = await this.db.query<{
      content_fingerprint: string;
      placed_at: Date | null;
      placed_request: PlaceOrderRequest | null;
    }>('SELECT content_fingerprint, placed_at, placed_request FROM orders WHERE account_id = $1 AND order_id = $2', [
      accountId,
      orderId,
    ]);
    if (!row) return undefined;
    return {
      contentFingerprint: row.content_fingerprint,
      placedAt: row.placed_at?.toISOString(),
      request: row.placed_request ?? undefined,
    };
  }

  /** Registers the order before it goes to Temporal; content not yet placed may still change. */
  async register(accountId: string, orderId: string, workflowId: string, request: PlaceOrderRequest): Promise<void> {
    await this.db.query(
      `INSERT INTO orders (account_id, order_id, workflow_id, content_fingerprint, placed_request)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_id, order_id) DO UPDATE SET content_fingerprint = $4, placed_request = $5
       WHERE orders.placed_at IS NULL`,
      [accountId, orderId, workflowId, request.contentFingerprint, JSON.stringify(request)],
    );
  }

  /** Temporal has the order (started with it, or it took the placeOrder update). */
  async placed(accountId: string, orderId: string): Promise<void> {
    await this.db.query(
      'UPDATE orders SET placed_at = COALESCE(placed_at, now()) WHERE account_id = $1 AND order_id = $2',
      [accountId, orderId],
    );
  }
}
