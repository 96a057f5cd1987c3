// Order payments: createPaymentForAnOrder (records a manual payment; never charges) and listOrderPayments.
// Amounts are major-unit doubles on the wire and integer minor units inside.
import { z } from 'zod';
import { parseBody } from '../body';
import { badRequest } from '../errors';
import { compare, parseBoolean, parseFilter, parseIdValue, requireOps, unknownFilterField } from '../filter';
import { nextPageToken, parsePaging } from '../paging';
import type { OrderRecord, PaymentRecord } from '../store/records';
import { checkOrderBy, compact, mustGet } from './common';
import { dateTime } from './orders';
import type { OpContext, OperationDef, OpRequest, OpResult } from './types';

const RestCreatePaymentRequest = z.object({
  payment_amount: z.number(),
  apply_to_commissions: z.boolean(),
  notes: z.string().optional(),
  payment_method_id: z.string().optional(),
  payment_method_type: z.string().optional(),
  payment_time: dateTime.optional(),
  external_source: z.string().optional(),
  external_source_value: z.string().optional(),
  external_status_value: z.string().optional(),
  external_create_time: dateTime.optional(),
  external_update_time: dateTime.optional(),
  external_create_user: z.string().optional(),
});

/**
 * Keap's stock Manual Payment Types, plus `Stripe`: the emulated app is one whose merchant added a custom
 * type for payments taken by the checkout platform (the type Sales Sync's demo accounts use).
 */
export const DEFAULT_MANUAL_PAYMENT_TYPES = [
  'Credit Card (Manual)',
  'Check',
  'Cash',
  'Money Order',
  'Adjustment',
  'Stripe',
];

function createPaymentForAnOrder(ctx: OpContext, req: OpRequest): OpResult {
  const order = mustGet(ctx.state.orders, 'Order', req.params.order_id);
  const body = parseBody(RestCreatePaymentRequest, req.body, 'RestCreatePaymentRequest');
  if (body.payment_method_id !== undefined) {
    // Charging a stored card: the sandbox keeps no payment methods, so every id is unknown.
    throw badRequest(`Payment method with id ${body.payment_method_id} not found`);
  }
  if (body.payment_method_type === undefined) {
    throw badRequest('At least one of payment_method_id or payment_method_type is required');
  }
  if (!ctx.manualPaymentTypes.has(body.payment_method_type)) {
    throw badRequest(
      `Unrecognized payment_method_type '${body.payment_method_type}'. Configured Manual Payment Types: ${[
        ...ctx.manualPaymentTypes,
      ].join(', ')}`,
    );
  }
  const m = ctx.money;
  const amountMinor = m.toMinor(body.payment_amount);
  if (amountMinor === undefined || amountMinor <= 0) {
    throw badRequest(`payment_amount must be greater than 0 (got ${body.payment_amount})`);
  }
  const balance = order.totalMinor - order.paidMinor;
  if (amountMinor > balance) {
    throw badRequest(
      `payment_amount ${m.value(amountMinor).formatted_amount} exceeds the order's remaining balance of ${
        m.value(balance).formatted_amount
      }`,
    );
  }
  const now = ctx.now();
  const payment: PaymentRecord = compact({
    id: ctx.state.next('invoicePayment'),
    paymentId: ctx.state.next('payment'),
    amountMinor,
    notes: body.notes,
    payTime: body.payment_time === undefined ? now : new Date(body.payment_time).toISOString(),
    paymentMethodType: body.payment_method_type,
    applyToCommissions: body.apply_to_commissions,
    external_source: body.external_source,
    external_source_value: body.external_source_value,
    external_status_value: body.external_status_value,
    external_create_time: body.external_create_time,
    external_update_time: body.external_update_time,
    external_create_user: body.external_create_user,
    lastUpdatedTime: now,
  });
  ctx.state.orders.update(order, (o) => {
    o.payments.push(payment);
    o.paidMinor += amountMinor;
    o.modification_time = now;
  });
  return {
    status: 201,
    body: {
      id: String(payment.paymentId),
      invoice_id: String(order.invoiceId),
      payment_amount: m.toMajor(amountMinor),
      payment_status_message: 'MANUAL_PAID',
    },
  };
}

function renderPayment(ctx: OpContext, order: OrderRecord, p: PaymentRecord): Record<string, unknown> {
  return compact({
    id: String(p.id),
    amount: ctx.money.toMajor(p.amountMinor),
    note: p.notes,
    invoice_id: String(order.invoiceId),
    payment_id: String(p.paymentId),
    pay_time: p.payTime,
    pay_status: 'MANUAL_PAID',
    last_updated_time: p.lastUpdatedTime,
    skip_commission: !p.applyToCommissions,
  });
}

const PAYMENT_FILTER_FIELDS = ['invoice_id', 'payment_id', 'amount', 'pay_status', 'skip_commission'];

function listOrderPayments(ctx: OpContext, req: OpRequest): OpResult {
  const order = mustGet(ctx.state.orders, 'Order', req.params.order_id);
  const paging = parsePaging(req.query, 'payments');
  checkOrderBy(req.query, ['payment_id', 'pay_time']);
  const predicates: ((p: PaymentRecord) => boolean)[] = [];
  for (const term of parseFilter(req.query.get('filter'))) {
    switch (term.field) {
      case 'invoice_id': {
        requireOps(term, '==');
        const id = parseIdValue(term);
        predicates.push(() => order.invoiceId === id);
        break;
      }
      case 'payment_id': {
        requireOps(term, '==');
        const id = parseIdValue(term);
        predicates.push((p) => p.paymentId === id);
        break;
      }
      case 'amount': {
        const minor = ctx.money.toMinor(Number(term.value));
        if (term.value.trim() === '' || minor === undefined) throw badRequest(`Invalid amount '${term.value}'`);
        predicates.push((p) => compare(p.amountMinor, term.op, minor));
        break;
      }
      case 'pay_status':
        requireOps(term, '==');
        predicates.push(() => term.value.toUpperCase() === 'MANUAL_PAID');
        break;
      case 'skip_commission': {
        requireOps(term, '==');
        const skip = parseBoolean(term);
        predicates.push((p) => !p.applyToCommissions === skip);
        break;
      }
      default:
        unknownFilterField(term, PAYMENT_FILTER_FIELDS);
    }
  }
  // An order has a handful of payments: filter the list directly, paging by invoice-payment id.
  const matching = order.payments.filter((p) => p.id > paging.afterId && predicates.every((f) => f(p)));
  const rows = matching.slice(0, paging.pageSize);
  const page = { rows, more: matching.length > rows.length };
  return {
    status: 200,
    body: {
      invoice_order_payments: rows.map((p) => renderPayment(ctx, order, p)),
      next_page_token: nextPageToken(page, 'payments'),
    },
  };
}

export const paymentOperations: OperationDef[] = [
  {
    operationId: 'listOrderPayments',
    method: 'GET',
    path: '/rest/v2/orders/{order_id}/payments',
    handler: listOrderPayments,
  },
  {
    operationId: 'createPaymentForAnOrder',
    method: 'POST',
    path: '/rest/v2/orders/{order_id}/payments',
    handler: createPaymentForAnOrder,
  },
];
