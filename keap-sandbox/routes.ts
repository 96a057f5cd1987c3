// The operation table and path matching. Templates are the spec's own paths (relative to the `/crm` base),
// so the conformance test can check each (operationId, method, path) against the spec verbatim.
import { contactOperations } from './ops/contacts';
import { noteOperations } from './ops/notes';
import { orderFieldOperations } from './ops/order-fields';
import { orderOperations } from './ops/orders';
import { paymentOperations } from './ops/payments';
import { productOperations } from './ops/products';
import { subscriptionPlanOperations } from './ops/subscription-plans';
import { tagOperations } from './ops/tags';
import type { HttpMethod, OperationDef } from './ops/types';

export const OPERATIONS: readonly OperationDef[] = [
  ...contactOperations,
  ...productOperations,
  ...subscriptionPlanOperations,
  ...orderFieldOperations,
  ...orderOperations,
  ...paymentOperations,
  ...tagOperations,
  ...noteOperations,
];

/** What the sandbox serves, for the spec-conformance check and for documentation. */
export interface SandboxRoute {
  operationId: string;
  method: HttpMethod;
  path: string;
}

export const SANDBOX_ROUTES: readonly SandboxRoute[] = OPERATIONS.map(({ operationId, method, path }) => ({
  operationId,
  method,
  path,
}));

export const OPERATION_IDS: ReadonlySet<string> = new Set(OPERATIONS.map((o) => o.operationId));

type Segment = { literal: string } | { param: string };

interface CompiledRoute {
  op: OperationDef;
  segments: Segment[];
  literals: number;
}

export type RouteMatch =
  | { kind: 'ok'; op: OperationDef; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(ops: readonly OperationDef[] = OPERATIONS) {
    this.routes = ops.map((op) => {
      const segments = op.path
        .split('/')
        .filter((s) => s !== '')
        .map((s): Segment => (/^\{\w+\}$/.test(s) ? { param: s.slice(1, -1) } : { literal: s }));
      return { op, segments, literals: segments.filter((s) => 'literal' in s).length };
    });
    // Literal segments win over parameters: GET /orders/model is not getOrder("model").
    this.routes.sort((a, b) => b.literals - a.literals);
  }

  /** `path` is relative to the `/crm` base and still percent-encoded. */
  match(method: string, path: string): RouteMatch {
    const parts = path.split('/').filter((s) => s !== '');
    const allowed: HttpMethod[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.op.method === method) return { kind: 'ok', op: route.op, params };
      allowed.push(route.op.method);
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as Segment;
    const part = safeDecode(parts[i] as string);
    if (part === undefined) return undefined;
    if ('literal' in seg) {
      if (seg.literal !== part) return undefined;
    } else {
      params[seg.param] = part;
    }
  }
  return params;
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
