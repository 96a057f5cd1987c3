import type { Address } from '../order-schema';
import { fromKeapDecimal, toKeapDecimal } from '../../common/money';
import { keapPaymentMarker } from '../order';
import type { KeapClient } from '../../keap/client';
import type { KeapOrder } from '../../keap/types';
import type { KeapAccess, KeapSession } from '../../activities/keap-access';
import type { KeapOrderSnapshot } from '../workflow/definitions';
import type { KeapRecord } from '../../activities/keap-ledger';
import { KeapApiError } from '../../keap/errors';

/** Label of the order custom field that holds our idempotency key; created on first use. */
export const ORDER_KEY_FIELD_LABEL = 'Sales Sync Order Key';

export interface CreateKeapOrderInput {
  accountId: string;
  orderKey: string;
  contactId: string;
  title: string;
  orderTime: string;
  currency: string;
  items: { productId: string; name: string; quantity: number; unitAmount: number }[];
  shippingAddress?: Address;
  recipient?: { firstName?: string; lastName?: string; phone?: string };
}

export interface RecordKeapPaymentInput {
  accountId: string;
  keapOrderId: string;
  currency: string;
  payment: { id: string; amount: number; paidAt: string };
  /** Set when the order pre-existed, so payments may already be on it. */
  orderMayHavePayments: boolean;
  /**
   * Whether an earlier activity of the workflow may have recorded THIS payment (a retried step, a
   * reset run). When false, attempt 1 records without listing the order's payments first, and the
   * workflow keeps its own tally of what is paid. Absent (older workflow code): `orderMayHavePayments`
   * decides.
   */
  mayBeRecorded?: boolean;
}

export interface RecordedKeapPayment {
  keapPaymentId: string;
  alreadyRecorded: boolean;
  /** Minor units paid on the order after this payment, when the activity read the order's payments. */
  totalPaidAfter?: number;
}

/** Payment states that count towards what the order has been paid. */
const SETTLED = new Set(['MANUAL_PAID', 'PAYPAL_PAID', 'APPROVED']);

/**
 * Whether a payment's notes carry our marker for exactly this payment id. Stripe ids are case-sensitive
 * (in_CaseX and in_casex are two payments), so the marker is compared as written, and as a whole word of
 * the notes: the marker of one id inside a longer one does not count.
 */
function notesMark(note: string | undefined, marker: string): boolean {
  if (note === undefined) return false;
  for (let at = note.indexOf(marker); at >= 0; at = note.indexOf(marker, at + 1)) {
    const before = at === 0 ? ' ' : note.charAt(at - 1);
    const after = note.charAt(at + marker.length) || ' ';
    if (/\s/.test(before) && /\s/.test(after)) return true;
  }
  return false;
}

function snapshot(order: KeapOrder, created: boolean): KeapOrderSnapshot {
  return {
    keapOrderId: order.id,
    total: order.total?.amount ?? 0,
    totalPaid: order.total_paid?.amount ?? 0,
    created,
  };
}

/**
 * Keap order and payment writes, shared by the activities that make them. Keap has no idempotency
 * keys: a write that may repeat an earlier one looks first (our key in an order custom field, our
 * marker in a payment's notes). The caller says when no earlier write can exist, and only then is
 * the lookup skipped.
 */
type LedgerSession = Pick<KeapSession, 'keap' | 'appKey' | 'ledger'>;

/** The order key field as the ledger keeps it (its Keap id, and the field_name Keap filters by). */
function keyFieldFrom(record: KeapRecord | undefined): { id: string; fieldName: string } | undefined {
  const fieldName = record?.detail?.fieldName;
  return record?.state === 'written' && record.keapId && typeof fieldName === 'string'
    ? { id: record.keapId, fieldName }
    : undefined;
}

export class KeapOrders {
  /**
   * The order custom field holding our key: found, or created once per Keap app across every
   * process (the ledger's lock and record), then read from the ledger without a Keap call.
   */
  private async keyField({ keap, appKey, ledger }: LedgerSession): Promise<{ id: string; fieldName: string }> {
    const known = keyFieldFrom(await ledger.get(appKey, 'order-key-field', ORDER_KEY_FIELD_LABEL));
    if (known) return known;
    return ledger.exclusive(appKey, 'order-key-field', ORDER_KEY_FIELD_LABEL, async (record) => {
      const recorded = keyFieldFrom(record.prior);
      if (recorded) return recorded;
      const model = await keap.getOrderModel();
      let field = model.custom_fields?.find((f) => f.label === ORDER_KEY_FIELD_LABEL && f.field_name);
      if (!field) {
        await record.pending();
        field = await keap.createOrderCustomField(ORDER_KEY_FIELD_LABEL, 'TEXT');
      }
      if (!field.field_name) throw new Error(`Keap returned the ${ORDER_KEY_FIELD_LABEL} field without a field_name`);
      await record.written(field.id, { fieldName: field.field_name });
      return { id: field.id, fieldName: field.field_name };
    });
  }

  /**
   * The order whose key field holds exactly `key`. Keap's custom-field filter ignores case, so it also
   * returns another customer's order keyed `CASEX-1` for our `casex-1`: every hit, on every page, is
   * compared as written, and only an exact one is ours.
   */
  private async findByKey(
    keap: KeapClient,
    field: { id: string; fieldName: string },
    key: string,
  ): Promise<KeapOrder | undefined> {
    for (const order of await keap.findOrdersByField(field.fieldName, key)) {
      const listed = order.custom_fields?.find((f) => f.id === field.id);
      // A listing that leaves the value out is checked on the order itself, never assumed to match.
      const value = listed ?? (await keap.getOrder(order.id)).custom_fields?.find((f) => f.id === field.id);
      if (value?.content === key) return order;
    }
    return undefined;
  }

  /**
   * Creates the Keap order with our key in a custom field, exactly once per key across processes and
   * workflows (the ledger): an order the ledger knows is returned without a Keap call; one an
   * earlier try may have written (`lookFirst`, or a pending record) is looked for by its key first.
   */
  async create(
    session: LedgerSession,
    input: Omit<CreateKeapOrderInput, 'accountId'>,
    lookFirst: boolean,
  ): Promise<KeapOrderSnapshot> {
    const { keap, appKey, ledger } = session;
    const field = await this.keyField(session);
    return ledger.exclusive(appKey, 'order', input.orderKey, async (record) => {
      const { prior } = record;
      if (prior?.state === 'written' && prior.keapId) {
        const total = typeof prior.detail?.total === 'number' ? prior.detail.total : 0;
        return {
          keapOrderId: prior.keapId,
          total,
          totalPaid: 0,
          created: false,
          recorded: prior.detail?.created === true,
        };
      }
      if (lookFirst || prior) {
        const existing = await this.findByKey(keap, field, input.orderKey);
        if (existing) {
          await record.written(existing.id, { total: existing.total?.amount ?? 0 });
          return snapshot(existing, false);
        }
      }
      await record.pending();
      const address = input.shippingAddress;
      try {
        const order = await keap.createOrder({
          contact_id: input.contactId,
          order_time: input.orderTime,
          order_title: input.title,
          order_type: 'ONLINE',
          order_items: input.items.map((item) => ({
            product_id: item.productId,
            name: item.name,
            quantity: item.quantity,
            price_per_unit: toKeapDecimal(item.unitAmount, input.currency),
            item_type: 'PRODUCT',
          })),
          custom_fields: [{ id: field.id, content: input.orderKey }],
          shipping_address: address
            ? {
                line1: address.line1,
                line2: address.line2,
                locality: address.city,
                region: address.region,
                zip_code: address.postalCode,
                country_code: address.country,
                first_name: input.recipient?.firstName,
                last_name: input.recipient?.lastName,
                phone: input.recipient?.phone,
              }
            : undefined,
        });
        await record.written(order.id, { total: order.total?.amount ?? 0, created: true });
        return snapshot(order, true);
      } catch (error) {
        // A rejection may mean the merchant deleted the key field: look it up afresh next time.
        if (error instanceof KeapApiError && !error.retryable) {
          await ledger.forget(appKey, 'order-key-field', ORDER_KEY_FIELD_LABEL);
        }
        throw error;
      }
    });
  }

  /**
   * Records a payment made at Stripe on the Keap order (it charges nothing), using the account's
   * Manual Payment Type. Our payment id goes in external_source_value and, because Keap's payment
   * listing does not return that field, as a marker in the notes; with `lookFirst` that marker is
   * looked for (and Keap's paid total read) before writing.
   */
  async recordPayment(
    { keap, account, appKey, ledger }: Pick<KeapSession, 'keap' | 'account' | 'appKey' | 'ledger'>,
    input: Pick<RecordKeapPaymentInput, 'keapOrderId' | 'currency' | 'payment'>,
    lookFirst: boolean,
  ): Promise<RecordedKeapPayment> {
    const marker = keapPaymentMarker(input.payment.id);
    const key = `${input.keapOrderId}/${input.payment.id}`;
    return ledger.exclusive(appKey, 'payment', key, async (record) => {
      const { prior } = record;
      if (prior?.state === 'written' && prior.keapId) return { keapPaymentId: prior.keapId, alreadyRecorded: true };
      let paidBefore: number | undefined;
      if (lookFirst || prior) {
        const payments = await keap.listOrderPayments(input.keapOrderId);
        paidBefore = payments
          .filter((p) => p.pay_status === undefined || SETTLED.has(p.pay_status))
          .reduce((sum, p) => sum + fromKeapDecimal(p.amount ?? 0, input.currency), 0);
        const earlier = payments.find((p) => notesMark(p.note, marker));
        if (earlier) {
          const keapPaymentId = earlier.payment_id ?? earlier.id ?? '';
          await record.written(keapPaymentId);
          return { keapPaymentId, alreadyRecorded: true, totalPaidAfter: paidBefore };
        }
      }
      await record.pending();
      const result = await keap.createOrderPayment(input.keapOrderId, {
        payment_amount: toKeapDecimal(input.payment.amount, input.currency),
        apply_to_commissions: false,
        payment_method_type: account.paymentMethodType,
        payment_time: input.payment.paidAt,
        notes: `${marker} Paid at checkout; recorded by Sales Sync.`,
        external_source: 'Sales Sync',
        external_source_value: input.payment.id,
      });
      const keapPaymentId = result.id ?? '';
      await record.written(keapPaymentId);
      return {
        keapPaymentId,
        alreadyRecorded: false,
        totalPaidAfter: paidBefore === undefined ? undefined : paidBefore + input.payment.amount,
      };
    });
  }
}

export function orderActivities(access: KeapAccess, orders: KeapOrders) {
  return {
    /**
     * Creates the Keap order with our key in a custom field, unless an order with that key exists.
     * Keap has no idempotency keys, so looking first is what makes a retry (or a re-run) safe.
     */
    async createKeapOrder(input: CreateKeapOrderInput): Promise<KeapOrderSnapshot> {
      return access.run(input.accountId, (session) => orders.create(session, input, true));
    },

    /** Records a payment made at Stripe on the Keap order, looking first whenever it may already be there. */
    async recordKeapPayment(input: RecordKeapPaymentInput): Promise<RecordedKeapPayment> {
      const mayBeRecorded = input.mayBeRecorded ?? input.orderMayHavePayments;
      return access.run(input.accountId, async (session) =>
        orders.recordPayment(session, input, mayBeRecorded || (await access.mayHaveWrittenUnrecorded())),
      );
    },

    /** Current totals of a Keap order, in minor units. */
    async getKeapOrder(input: { accountId: string; keapOrderId: string }): Promise<KeapOrderSnapshot> {
      return access.run(input.accountId, async ({ keap }) => snapshot(await keap.getOrder(input.keapOrderId), false));
    },
  };
}
