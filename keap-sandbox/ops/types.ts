// The contract between the HTTP layer and the operations: handlers are synchronous and in-memory; they
// either return a result (the write is committed) or throw a KeapError (nothing is committed).
import type { Money } from '../money';
import type { SandboxState } from '../store/state';

export interface OpContext {
  readonly state: SandboxState;
  readonly money: Money;
  /** Manual payment types configured "in Keap" (Ecommerce Settings > Orders); matched exactly. */
  readonly manualPaymentTypes: ReadonlySet<string>;
  /** ISO-8601 timestamp for create/update times. */
  now(): string;
}

export interface OpRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Parsed JSON body, or undefined when none was sent. */
  readonly body: unknown;
}

export interface OpResult {
  status: number;
  /** Omitted for 204. */
  body?: unknown;
}

export type OpHandler = (ctx: OpContext, req: OpRequest) => OpResult;

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface OperationDef {
  operationId: string;
  method: HttpMethod;
  /** Path template exactly as in the spec, relative to the `/crm` base, e.g. `/rest/v2/orders/{order_id}`. */
  path: string;
  handler: OpHandler;
}
