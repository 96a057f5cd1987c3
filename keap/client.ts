/**
 * The one Keap REST v2 client. Knows URLs, auth headers, JSON and error mapping; knows nothing of
 * orders or Temporal. Base URL per account, e.g. https://api.keap.com/crm (paths are /rest/v2/...).
 */
import { KeapApiError, errorFromFetchFailure, errorFromResponse, retryDelayFromHeaders } from './errors';
import type {
  KeapContact,
  KeapContactField,
  KeapContactWrite,
  KeapCustomFieldMetaData,
  KeapInvoiceOrderPayment,
  KeapNote,
  KeapNoteCreate,
  KeapObjectModel,
  KeapOrder,
  KeapOrderCreate,
  KeapPaymentCreate,
  KeapPaymentResult,
  KeapProduct,
  KeapProductCreate,
  KeapProductField,
  KeapProductUpdate,
  KeapSubscriptionPlan,
  KeapSubscriptionPlanField,
  KeapSubscriptionPlanWrite,
  KeapTag,
} from './types';

export const KEAP_PRODUCTION_BASE_URL = 'https://api.keap.com/crm';

export type KeapAuth = { type: 'apiKey'; apiKey: string } | { type: 'bearer'; accessToken: string };

export interface KeapConnection {
  baseUrl: string;
  auth: KeapAuth;
}

export interface KeapCallRecord {
  operation: string;
  status: number | 'failed';
  durationMs: number;
}

/** Paces calls per credential (keap/pacing.ts reads the pace; activities/keap-rate-limit.ts shares it across processes). */
export interface KeapCallLimiter {
  /**
   * Waits for a call's turn. `continuing`: this client has already made calls (an order part-way
   * through its sale), which a limiter may let finish ahead of work that has not started.
   */
  acquire(signal?: AbortSignal, continuing?: boolean): Promise<void>;
  observe(status: number, headers: Headers, retryAfterMs?: number): void;
}

export interface KeapClientOptions {
  /** Per-request timeout; keep it below the activity's start-to-close timeout. */
  timeoutMs?: number;
  /** Aborts in-flight requests, e.g. the activity's cancellation signal. */
  signal?: AbortSignal;
  /** Paces calls to stay under Keap's rate limits. */
  limiter?: KeapCallLimiter;
  /** Observes every call (metrics, benchmarks). Must not throw. */
  onCall?: (record: KeapCallRecord) => void;
  /**
   * Epoch ms after which no write may be sent. A write sent later could still be committing when the
   * next activity attempt looks for it, and that attempt would write it again; refusing it (a
   * retryable error) hands the write to the next attempt, which looks first.
   */
  writeDeadline?: number;
  fetch?: typeof fetch;
}

/** An array value is sent exploded (`a=x&a=y`), the spec's default form for array query parameters. */
type Query = Record<string, string | number | readonly string[] | undefined>;

interface RequestSpec {
  operation: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
}

/** A page of a Keap list: the items under the operation's own key, and the token of the next page. */
type ListPage<K extends string, T> = Partial<Record<K, T[]>> & { next_page_token?: string };

/** A runaway cursor (a Keap fault) fails the call rather than loop; no Keap list we read is this long. */
const MAX_PAGES = 10_000;

/**
 * Keap filter syntax: `field==value` pairs joined by `;` (encoded by URLSearchParams). A value with ';'
 * or '*' cannot be expressed (they mean something there): the call is not sent, and the error is a
 * rejection, as Keap's own 400 would be, since no retry can make the value lookable.
 */
function filter(operation: string, conditions: Record<string, string>): string {
  for (const value of Object.values(conditions)) {
    if (value.includes(';') || value.includes('*')) {
      throw new KeapApiError(
        'invalid',
        operation,
        `Keap ${operation} not sent: a filter value may not contain ";" or "*" (Keap's filter syntax gives them a meaning): ${JSON.stringify(value)}`,
      );
    }
  }
  return Object.entries(conditions)
    .map(([field, value]) => `${field}==${value}`)
    .join(';');
}

export class KeapClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  /** Calls this client has been given a turn for. */
  private callsMade = 0;

  constructor(
    private readonly connection: KeapConnection,
    private readonly options: KeapClientOptions = {},
  ) {
    this.baseUrl = connection.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  private authHeaders(): Record<string, string> {
    const { auth } = this.connection;
    return auth.type === 'apiKey' ? { 'X-Keap-API-Key': auth.apiKey } : { Authorization: `Bearer ${auth.accessToken}` };
  }

  private async request<T>(spec: RequestSpec): Promise<T> {
    const url = new URL(`${this.baseUrl}/rest/v2${spec.path}`);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value === undefined) continue;
      if (typeof value === 'string' || typeof value === 'number') url.searchParams.set(key, String(value));
      else for (const item of value) url.searchParams.append(key, item);
    }
    // Wait for this credential's slot first; the request timeout starts once the call may go.
    try {
      await this.options.limiter?.acquire(this.options.signal, this.callsMade > 0);
      this.callsMade += 1;
    } catch (error) {
      // A limiter may answer in Keap's own terms (at capacity: retry later); anything else is trouble.
      if (error instanceof KeapApiError) {
        const { kind, message, status, retryAfterMs } = error;
        throw new KeapApiError(
          kind,
          spec.operation,
          `Keap ${spec.operation} not sent: ${message}`,
          status,
          retryAfterMs,
          {
            cause: error,
          },
        );
      }
      throw errorFromFetchFailure(spec.operation, error, false);
    }
    const { writeDeadline } = this.options;
    if (spec.method !== 'GET' && writeDeadline !== undefined && Date.now() > writeDeadline) {
      throw new KeapApiError(
        'timeout',
        spec.operation,
        `Keap ${spec.operation} not sent: too little of this attempt's time is left for it to finish`,
      );
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 15_000);
    const signal = this.options.signal ? AbortSignal.any([timeout, this.options.signal]) : timeout;
    const started = performance.now();
    const record = (status: number | 'failed') =>
      this.options.onCall?.({ operation: spec.operation, status, durationMs: performance.now() - started });

    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method: spec.method,
        headers: {
          Accept: 'application/json',
          ...(spec.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...this.authHeaders(),
        },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal,
      });
      text = await response.text();
    } catch (error) {
      record('failed');
      throw errorFromFetchFailure(spec.operation, error, timeout.aborted);
    }
    record(response.status);
    this.options.limiter?.observe(
      response.status,
      response.headers,
      response.status === 429 ? retryDelayFromHeaders(response.headers) : undefined,
    );

    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok) throw errorFromResponse(spec.operation, response.status, body, response.headers);
    return body as T;
  }

  /**
   * Reads a list operation page by page, following next_page_token to the last page (an empty token),
   * and stops early once `found` says an item is the one sought. Keap pages every list (and may answer
   * a short or empty page before the last), so one page is never the whole answer: a lookup before a
   * write that read only the first page would miss what is on the others, and write it again.
   */
  private async scanPages<K extends string, T>(
    spec: RequestSpec,
    key: K,
    found?: (item: T) => boolean,
  ): Promise<{ items: T[]; match?: T }> {
    const items: T[] = [];
    const tokens = new Set<string>();
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.request<ListPage<K, T>>({ ...spec, query: { ...spec.query, page_token: pageToken } });
      const pageItems: T[] = res[key] ?? [];
      items.push(...pageItems);
      const match = found ? pageItems.find(found) : undefined;
      if (match !== undefined) return { items, match };
      pageToken = res.next_page_token || undefined;
      if (pageToken === undefined) return { items };
      if (tokens.has(pageToken)) break;
      tokens.add(pageToken);
    }
    // Retryable: a partial list must never pass for the whole one.
    throw new KeapApiError('server', spec.operation, `Keap ${spec.operation} did not reach its last page`);
  }

  // Contacts

  /**
   * The first contact Keap's email filter matches, on whichever page it is. The filter is the match:
   * emails compare case-insensitively, as Keap's filter does and as Sales Sync stores them.
   */
  async findContactByEmail(email: string): Promise<KeapContact | undefined> {
    const { match } = await this.scanPages<'contacts', KeapContact>(
      {
        operation: 'listContacts',
        method: 'GET',
        path: '/contacts',
        query: {
          filter: filter('listContacts', { email }),
          fields: 'given_name,family_name,email_addresses,phone_numbers,addresses,tag_ids',
          page_size: 5,
        },
      },
      'contacts',
      () => true,
    );
    return match;
  }

  /** With `duplicateOption`, Keap updates the contact that matches instead of creating another. */
  createContact(
    contact: KeapContactWrite,
    options: { duplicateOption?: 'Email' | 'EmailAndName' | 'EmailAndNameAndCompany' } = {},
  ): Promise<KeapContact> {
    return this.request({
      operation: 'createContact',
      method: 'POST',
      path: '/contacts',
      query: options.duplicateOption ? { duplicate_option: options.duplicateOption } : undefined,
      body: contact,
    });
  }

  /** PATCH with an update mask: only the named fields change (v2 replaces whatever arrays it is sent). */
  updateContact(id: string, contact: KeapContactWrite, mask: readonly KeapContactField[]): Promise<KeapContact> {
    return this.request({
      operation: 'updateContact',
      method: 'PATCH',
      path: `/contacts/${encodeURIComponent(id)}`,
      query: { update_mask: mask },
      body: contact,
    });
  }

  // Products

  async findProductBySku(sku: string): Promise<KeapProduct | undefined> {
    // The filter matches case-insensitively; an exact SKU match, on any page, is what identifies our product.
    const { match } = await this.scanPages<'products', KeapProduct>(
      {
        operation: 'listProducts',
        method: 'GET',
        path: '/products',
        query: { filter: filter('listProducts', { sku }), page_size: 5 },
      },
      'products',
      (p) => p.sku === sku,
    );
    return match;
  }

  /** Any one product of the app (the first Keap lists), e.g. to read the currency its prices are in. */
  async firstProduct(): Promise<KeapProduct | undefined> {
    const { match } = await this.scanPages<'products', KeapProduct>(
      { operation: 'listProducts', method: 'GET', path: '/products', query: { page_size: 1 } },
      'products',
      () => true,
    );
    return match;
  }

  createProduct(product: KeapProductCreate): Promise<KeapProduct> {
    return this.request({ operation: 'createProduct', method: 'POST', path: '/products', body: product });
  }

  updateProduct(id: string, product: KeapProductUpdate, mask: readonly KeapProductField[]): Promise<KeapProduct> {
    return this.request({
      operation: 'updateProduct',
      method: 'PATCH',
      path: `/products/${encodeURIComponent(id)}`,
      query: { update_mask: mask },
      body: product,
    });
  }

  getProduct(id: string): Promise<KeapProduct> {
    return this.request({ operation: 'getProduct', method: 'GET', path: `/products/${encodeURIComponent(id)}` });
  }

  // Subscription plans (of a product)

  /** Every plan of the product, active or not, across pages. */
  async listSubscriptionPlans(productId: string): Promise<KeapSubscriptionPlan[]> {
    const { items } = await this.scanPages<'subscriptions', KeapSubscriptionPlan>(
      {
        operation: 'listSubscriptionPlans',
        method: 'GET',
        path: `/products/${encodeURIComponent(productId)}/subscriptions`,
        query: { page_size: 1000 },
      },
      'subscriptions',
    );
    return items;
  }

  createSubscriptionPlan(productId: string, plan: KeapSubscriptionPlanWrite): Promise<KeapSubscriptionPlan> {
    return this.request({
      operation: 'createSubscriptionPlans',
      method: 'POST',
      path: `/products/${encodeURIComponent(productId)}/subscriptions`,
      body: plan,
    });
  }

  /** The spec requires cycle_type and plan_price in the body; the mask says which fields change. */
  updateSubscriptionPlan(
    productId: string,
    planId: string,
    plan: KeapSubscriptionPlanWrite,
    mask: readonly KeapSubscriptionPlanField[],
  ): Promise<KeapSubscriptionPlan> {
    return this.request({
      operation: 'updateSubscriptionPlan',
      method: 'PATCH',
      path: `/products/${encodeURIComponent(productId)}/subscriptions/${encodeURIComponent(planId)}`,
      query: { update_mask: mask },
      body: plan,
    });
  }

  // Orders

  getOrderModel(): Promise<KeapObjectModel> {
    return this.request({ operation: 'retrieveOrderCustomFieldModel', method: 'GET', path: '/orders/model' });
  }

  createOrderCustomField(label: string, fieldType: 'TEXT'): Promise<KeapCustomFieldMetaData> {
    return this.request({
      operation: 'createOrderCustomField',
      method: 'POST',
      path: '/orders/model/customFields',
      body: { label, field_type: fieldType },
    });
  }

  /** Every order, on every page, that Keap's filter on the custom field matches (case-insensitively, as Keap's does). */
  async findOrdersByField(fieldName: string, value: string): Promise<KeapOrder[]> {
    const { items } = await this.scanPages<'orders', KeapOrder>(
      {
        operation: 'listOrders',
        method: 'GET',
        path: '/orders',
        query: { filter: filter('listOrders', { [fieldName]: value }), page_size: 10 },
      },
      'orders',
    );
    return items;
  }

  createOrder(order: KeapOrderCreate): Promise<KeapOrder> {
    return this.request({ operation: 'createOrder', method: 'POST', path: '/orders', body: order });
  }

  getOrder(id: string): Promise<KeapOrder> {
    return this.request({ operation: 'getOrder', method: 'GET', path: `/orders/${encodeURIComponent(id)}` });
  }

  /** Records a payment made elsewhere (Stripe); it charges nothing. */
  createOrderPayment(orderId: string, payment: KeapPaymentCreate): Promise<KeapPaymentResult> {
    return this.request({
      operation: 'createPaymentForAnOrder',
      method: 'POST',
      path: `/orders/${encodeURIComponent(orderId)}/payments`,
      body: payment,
    });
  }

  /** Every payment of the order, on every page (Keap's default page size; a plan may have more). */
  async listOrderPayments(orderId: string): Promise<KeapInvoiceOrderPayment[]> {
    const { items } = await this.scanPages<'invoice_order_payments', KeapInvoiceOrderPayment>(
      { operation: 'listOrderPayments', method: 'GET', path: `/orders/${encodeURIComponent(orderId)}/payments` },
      'invoice_order_payments',
    );
    return items;
  }

  // Tags and notes

  /** The tag named exactly `name`, on whichever page it is (the filter ignores case, and names repeat across categories). */
  async findTagByName(name: string): Promise<KeapTag | undefined> {
    const { match } = await this.scanPages<'tags', KeapTag>(
      { operation: 'listTags', method: 'GET', path: '/tags', query: { filter: filter('listTags', { name }) } },
      'tags',
      (t) => t.name === name,
    );
    return match;
  }

  createTag(name: string, description?: string): Promise<KeapTag> {
    return this.request({ operation: 'createTag', method: 'POST', path: '/tags', body: { name, description } });
  }

  async applyTag(tagId: string, contactIds: readonly string[]): Promise<void> {
    await this.request({
      operation: 'applyTags',
      method: 'POST',
      path: `/tags/${encodeURIComponent(tagId)}/contacts:applyTags`,
      body: { contact_ids: contactIds },
    });
  }

  async removeTag(tagId: string, contactIds: readonly string[]): Promise<void> {
    await this.request({
      operation: 'removeTags',
      method: 'POST',
      path: `/tags/${encodeURIComponent(tagId)}/contacts:removeTags`,
      body: { contact_ids: contactIds },
    });
  }

  createNote(contactId: string, note: KeapNoteCreate): Promise<KeapNote> {
    return this.request({
      operation: 'createNote',
      method: 'POST',
      path: `/contacts/${encodeURIComponent(contactId)}/notes`,
      body: note,
    });
  }
}
