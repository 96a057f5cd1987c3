// All sandbox data: one tenant per sandbox instance. Tables carry the secondary indexes the list filters
// need, so `email==`, `sku==`, `contact_id==` and custom-field lookups stay O(1) at benchmark sizes.
import { textKey } from '../filter';
import type {
  ContactRecord,
  CustomFieldRecord,
  NoteRecord,
  OrderRecord,
  ProductRecord,
  SubscriptionPlanRecord,
  TagRecord,
} from './records';
import { Table } from './table';

/** Index key for an order custom-field value: field id + normalised content. */
export const customFieldKey = (fieldId: number, content: unknown): string =>
  `${fieldId}\u0000${textKey(contentText(content))}`;

export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (typeof content === 'number' || typeof content === 'boolean') return String(content);
  return JSON.stringify(content) ?? '';
}

/** Id sequences that are not table rows (invoices, payments, order items, ...). */
export const SEQUENCE_NAMES = [
  'invoice',
  'payment',
  'invoicePayment',
  'orderItem',
  'fieldOption',
  'shipping',
  'utm',
] as const;
export type SequenceName = (typeof SEQUENCE_NAMES)[number];
export type Sequences = Record<SequenceName, number>;

const initialSequences = (): Sequences => Object.fromEntries(SEQUENCE_NAMES.map((name) => [name, 1])) as Sequences;

export class SandboxState {
  readonly contacts = new Table<ContactRecord>();
  readonly products = new Table<ProductRecord>();
  readonly orders = new Table<OrderRecord>();
  readonly orderFields = new Table<CustomFieldRecord>();
  readonly tags = new Table<TagRecord>();
  readonly notes = new Table<NoteRecord>();
  readonly subscriptionPlans = new Table<SubscriptionPlanRecord>();
  /** Sequences for ids that are not table rows. */
  private seqs = initialSequences();

  constructor() {
    this.contacts.addIndex('email', (c) => (c.data.email_addresses ?? []).map((e) => textKey(e.email)));
    this.products.addIndex('sku', (p) => (p.sku === undefined ? [] : [textKey(p.sku)]));
    this.products.addIndex('name', (p) => [textKey(p.name)]);
    this.orders.addIndex('contact', (o) => [String(o.contactId)]);
    this.orders.addIndex('product', (o) => o.items.flatMap((i) => (i.product ? [i.product.id] : [])));
    this.orders.addIndex('paid', (o) => [String(o.paidMinor >= o.totalMinor)]);
    this.orders.addIndex('invoice', (o) => [String(o.invoiceId)]);
    this.orders.addIndex('customField', (o) =>
      [...o.customFields].filter(([, v]) => v !== null && v !== undefined).map(([id, v]) => customFieldKey(id, v)),
    );
    this.orderFields.addIndex('fieldName', (f) => [textKey(f.field_name)]);
    this.tags.addIndex('name', (t) => [textKey(t.name)]);
    this.notes.addIndex('contact', (n) => [String(n.contactId)]);
    this.subscriptionPlans.addIndex('product', (p) => [String(p.productId)]);
  }

  next(kind: SequenceName): number {
    return this.seqs[kind]++;
  }

  /** The next value of every sequence (persistence). */
  sequences(): Sequences {
    return { ...this.seqs };
  }

  /** Restores the sequences (loading persisted state). */
  loadSequences(seqs: Sequences): void {
    this.seqs = { ...seqs };
  }

  reset(): void {
    for (const table of [this.contacts, this.products, this.orders, this.orderFields, this.tags, this.notes]) {
      table.clear();
    }
    this.subscriptionPlans.clear();
    this.seqs = initialSequences();
  }
}
