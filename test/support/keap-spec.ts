/**
 * Validates Keap REST v2 traffic against Keap's official OpenAPI 3.1 document
 * (`../shared/keap/keap-rest-v2.openapi.yaml`, next to the repository; never copied into it).
 *
 * Use it on the Keap sandbox's exchanges (`sandbox.onExchange`) or on any client's traffic:
 *
 *   const spec = loadKeapSpec();                       // throws if absent: check keapSpecAvailable() first
 *   sandbox.onExchange((ex) => problems.push(...validateExchange(ex, spec)));
 *
 * Checks, per exchange: the operation exists with that method and path; query parameters are declared
 * and valid; the request body matches the operation's requestBody schema; the response body matches the
 * schema the spec gives for that status. Bodies are checked strictly: a property the schema does not declare
 * is reported (a misspelt field would be silently ignored by Keap, and the sandbox must not invent fields).
 * OpenAPI 3.1 schemas are JSON Schema 2020-12, so validation uses Ajv2020 with ajv-formats.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** `KEAP_SPEC_PATH` overrides; default `<repo>/../shared/keap/keap-rest-v2.openapi.yaml`. */
export function keapSpecPath(): string {
  return process.env.KEAP_SPEC_PATH ?? path.join(REPO_ROOT, '..', 'shared', 'keap', 'keap-rest-v2.openapi.yaml');
}

export function keapSpecAvailable(): boolean {
  return existsSync(keapSpecPath());
}

export const SPEC_MISSING_MESSAGE = `Keap's OpenAPI spec is not available at ${keapSpecPath()} (it lives outside the repository, in ../shared/keap/); skipping spec-conformance checks`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface SpecParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required: boolean;
  schema: JsonObject;
  /** OpenAPI's `explode`, defaulted as the spec says (true for the default `form` style of query parameters). */
  explode: boolean;
}

export interface SpecOperation {
  operationId: string;
  /** Upper case, e.g. `PATCH`. */
  method: string;
  /** Template as in the spec, e.g. `/rest/v2/orders/{order_id}`. */
  path: string;
  parameters: SpecParameter[];
  requestBody?: { required: boolean; schema?: JsonObject };
  /** Status code (as in the spec, e.g. `201`) -> response JSON schema, or null for a response without body. */
  responses: Map<string, JsonObject | null>;
  pathPattern: RegExp;
}

export interface KeapSpec {
  file: string;
  version: string;
  operations: Map<string, SpecOperation>;
  /** Finds the operation serving a concrete method and path (relative to `/crm`). */
  findOperation(method: string, path: string): SpecOperation | undefined;
  /** Validates a value against a spec schema (strict: undeclared properties are errors). */
  validate(schema: JsonObject, value: unknown, strict: boolean): string[];
}

export interface ExchangeLike {
  operationId?: string | null;
  method: string;
  /** Concrete path, with or without the `/crm` base (e.g. `/crm/rest/v2/orders/12`). */
  path: string;
  query?: Record<string, string | string[]> | URLSearchParams;
  /** HTTP status; 0 = no response was received (it is then not checked). */
  status: number;
  requestBody?: unknown;
  responseBody?: unknown;
}

export interface ValidateOptions {
  /** Prefix stripped from `path` before matching spec paths. Default `/crm`. */
  basePath?: string;
  /**
   * Statuses Keap really sends though the spec does not list them (429 from the gateway; 502/503/504 from
   * infrastructure). Their bodies, when JSON objects, are checked against `Error`. Default [429, 502, 503, 504].
   */
  undocumentedStatuses?: number[];
  /** Report response properties the schema does not declare. Default true. */
  strictResponses?: boolean;
  /** Report request properties the schema does not declare. Default true. */
  strictRequests?: boolean;
  /** Check the request (query and body) at all. Default true; false for deliberately invalid requests. */
  checkRequest?: boolean;
}

const SPEC_ID = 'https://keap.local/keap-rest-v2';
const STRICT_ID = 'https://keap.local/keap-rest-v2-strict';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rewrites document-local `$ref`s so a fragment compiles against the registered document. */
function rebase(value: Json, id: string): Json {
  if (Array.isArray(value)) return value.map((v) => rebase(v, id));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${id}${v}` : rebase(v, id);
  }
  return out;
}

/** Copy where every object schema with `properties` forbids others (JSON Schema's default is to allow them). */
function strictify(value: Json): Json {
  if (Array.isArray(value)) return value.map(strictify);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value))
    out[k] = k === 'properties' && isObject(v) ? mapValues(v, strictify) : strictify(v);
  const combined = ['allOf', 'anyOf', 'oneOf'].some((k) => k in value);
  if (isObject(value.properties) && !('additionalProperties' in value) && !combined) out.additionalProperties = false;
  return out;
}

function mapValues(o: JsonObject, f: (v: Json) => Json): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(v);
  return out;
}

function resolveRef(doc: JsonObject, value: Json | undefined): Json | undefined {
  let current = value;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string' && hops < 10; hops++) {
    const ref = current.$ref;
    if (!ref.startsWith('#/')) return current;
    let target: Json | undefined = doc;
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      target = isObject(target) ? target[key] : undefined;
    }
    // Keep schema refs as refs (Ajv resolves them); resolve only parameters, bodies and responses.
    if (ref.startsWith('#/components/schemas/')) return current;
    current = target;
  }
  return current;
}

function formatError(e: ErrorObject): string {
  const at = e.instancePath === '' ? '(root)' : e.instancePath;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties')
    return `${at} has undeclared property '${String(params.additionalProperty)}'`;
  if (e.keyword === 'enum') return `${at} ${e.message ?? 'invalid'}: ${JSON.stringify(params.allowedValues)}`;
  return `${at} ${e.message ?? 'is invalid'}`;
}

let cached: { file: string; spec: KeapSpec } | undefined;

/** Loads (once per file) and indexes Keap's v2 spec. Throws when the file is missing. */
export function loadKeapSpec(file = keapSpecPath()): KeapSpec {
  if (cached?.file === file) return cached.spec;
  const doc = parseYaml(readFileSync(file, 'utf8')) as JsonObject;
  const components = isObject(doc.components) ? doc.components : {};

  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true, logger: false });
  addFormats(ajv);
  // OpenAPI's numeric formats, which JSON Schema does not define.
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addSchema({ $id: SPEC_ID, components });
  ajv.addSchema({ $id: STRICT_ID, components: strictify(components) });

  const compiled = new Map<string, ValidateFunction>();
  const validatorFor = (schema: JsonObject, strict: boolean): ValidateFunction => {
    const key = `${strict ? 'S' : 'L'}${JSON.stringify(schema)}`;
    let fn = compiled.get(key);
    if (!fn) {
      const id = strict ? STRICT_ID : SPEC_ID;
      const prepared = rebase(strict ? strictify(schema) : schema, id);
      fn = ajv.compile(prepared as object);
      compiled.set(key, fn);
    }
    return fn;
  };

  const operations = new Map<string, SpecOperation>();
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!isObject(op) || typeof op.operationId !== 'string') continue;
      const parameters: SpecParameter[] = [];
      for (const raw of [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
        const p = resolveRef(doc, raw);
        if (!isObject(p) || typeof p.name !== 'string') continue;
        const style = typeof p.style === 'string' ? p.style : p.in === 'query' || p.in === 'cookie' ? 'form' : 'simple';
        parameters.push({
          name: p.name,
          in: p.in as SpecParameter['in'],
          required: p.required === true,
          schema: isObject(p.schema) ? p.schema : {},
          explode: typeof p.explode === 'boolean' ? p.explode : style === 'form',
        });
      }
      const body = resolveRef(doc, op.requestBody);
      const bodySchema = isObject(body) && isObject(body.content) ? jsonSchemaOf(body.content) : undefined;
      const responses = new Map<string, JsonObject | null>();
      for (const [status, r] of Object.entries(isObject(op.responses) ? op.responses : {})) {
        const resolved = resolveRef(doc, r);
        responses.set(
          status,
          isObject(resolved) && isObject(resolved.content) ? (jsonSchemaOf(resolved.content) ?? null) : null,
        );
      }
      const pattern = template
        .split('/')
        .map((seg) => (/^\{\w+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      operations.set(op.operationId, {
        operationId: op.operationId,
        method: method.toUpperCase(),
        path: template,
        parameters,
        requestBody: isObject(body) ? { required: body.required === true, schema: bodySchema } : undefined,
        responses,
        pathPattern: new RegExp(`^${pattern}$`),
      });
    }
  }

  const literalCount = (p: string): number => p.split('/').filter((s) => s !== '' && !s.startsWith('{')).length;
  const byMethod = [...operations.values()].sort((a, b) => literalCount(b.path) - literalCount(a.path));
  const info = isObject(doc.info) ? doc.info : {};
  const spec: KeapSpec = {
    file,
    version: typeof info.version === 'string' ? info.version : '?',
    operations,
    findOperation: (method, p) => byMethod.find((o) => o.method === method.toUpperCase() && o.pathPattern.test(p)),
    validate(schema, value, strict) {
      const fn = validatorFor(schema, strict);
      return fn(value) ? [] : (fn.errors ?? []).map(formatError);
    },
  };
  cached = { file, spec };
  return spec;
}

function jsonSchemaOf(content: JsonObject): JsonObject | undefined {
  const media = content['application/json'] ?? Object.entries(content).find(([k]) => k.includes('json'))?.[1];
  return isObject(media) && isObject(media.schema) ? media.schema : undefined;
}

function queryEntries(query: ExchangeLike['query']): [string, string][] {
  if (query === undefined) return [];
  if (query instanceof URLSearchParams) return [...query];
  return Object.entries(query).flatMap(([k, v]) =>
    Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v]],
  );
}

/** Coerces a query string value to the parameter schema's type, so it can be schema-checked. */
function coerce(value: string, schema: JsonObject): unknown {
  if (schema.type === 'integer' || schema.type === 'number') return value.trim() === '' ? value : Number(value);
  if (schema.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

/**
 * Lists every way an exchange departs from Keap's spec (empty = conforms). Pass `spec` to avoid the lookup
 * of the cached default; it throws if the spec file is absent.
 */
export function validateExchange(
  exchange: ExchangeLike,
  spec: KeapSpec = loadKeapSpec(),
  options: ValidateOptions = {},
): string[] {
  const basePath = options.basePath ?? '/crm';
  const undocumented = options.undocumentedStatuses ?? [429, 502, 503, 504];
  const method = exchange.method.toUpperCase();
  const rel = exchange.path.startsWith(`${basePath}/`) ? exchange.path.slice(basePath.length) : exchange.path;
  const label = `${exchange.operationId ?? '?'} ${method} ${exchange.path} -> ${exchange.status}`;
  const problems: string[] = [];
  const report = (what: string): void => {
    problems.push(`${label}: ${what}`);
  };

  const byPath = spec.findOperation(method, rel);
  let op: SpecOperation | undefined;
  if (exchange.operationId) {
    op = spec.operations.get(exchange.operationId);
    if (!op) {
      report(`operationId ${exchange.operationId} does not exist in the spec`);
      return problems;
    }
    if (op.method !== method) report(`${op.operationId} is ${op.method} in the spec, not ${method}`);
    if (!op.pathPattern.test(rel)) report(`path ${rel} does not match ${op.operationId}'s ${op.path}`);
    if (byPath && byPath.operationId !== op.operationId)
      report(`the spec serves ${method} ${rel} as ${byPath.operationId}`);
  } else {
    op = byPath;
    if (!op) {
      if (exchange.status !== 404 && exchange.status !== 405) report(`no spec operation serves ${method} ${rel}`);
      return problems;
    }
  }

  if (options.checkRequest !== false) checkRequest(spec, op, exchange, options, report);
  return checkResponse(spec, op, exchange, undocumented, options, problems, report);
}

function checkRequest(
  spec: KeapSpec,
  op: SpecOperation,
  exchange: ExchangeLike,
  options: ValidateOptions,
  report: (what: string) => void,
): void {
  // Query parameters. Array parameters in the form the spec declares: exploded (`a=x&a=y`, each value one
  // item; the default) or, with `explode: false`, one comma-separated value. A form Keap's binding may
  // also take is still a departure from the spec, and a strict Keap may reject it.
  const queryParams = new Map(op.parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]));
  const seen = new Set<string>();
  for (const [name, value] of queryEntries(exchange.query)) {
    const param = queryParams.get(name);
    if (!param) {
      report(`query parameter '${name}' is not declared by ${op.operationId}`);
      continue;
    }
    if (param.schema.type === 'array') {
      if (!param.explode && seen.has(name))
        report(`query ${name} is repeated; the spec takes one comma-separated value`);
      const items = isObject(param.schema.items) ? param.schema.items : {};
      for (const item of param.explode ? [value] : value.split(',')) {
        for (const e of spec.validate(items, coerce(item, items), false)) report(`query ${name}=${item}: ${e}`);
      }
    } else {
      for (const e of spec.validate(param.schema, coerce(value, param.schema), false))
        report(`query ${name}=${value}: ${e}`);
    }
    seen.add(name);
  }
  for (const p of queryParams.values())
    if (p.required && !seen.has(p.name)) report(`required query parameter '${p.name}' missing`);

  // Request body.
  const hasBody = exchange.requestBody !== undefined;
  if (op.requestBody?.schema) {
    if (hasBody) {
      const strict = options.strictRequests ?? true;
      for (const e of spec.validate(op.requestBody.schema, exchange.requestBody, strict)) report(`request body ${e}`);
    } else if (op.requestBody.required && exchange.status !== 0 && exchange.status < 500) {
      report('required request body missing');
    }
  } else if (hasBody) {
    report(`${op.operationId} takes no request body`);
  }
}

function checkResponse(
  spec: KeapSpec,
  op: SpecOperation,
  exchange: ExchangeLike,
  undocumented: number[],
  options: ValidateOptions,
  problems: string[],
  report: (what: string) => void,
): string[] {
  if (exchange.status === 0) return problems;
  const status = String(exchange.status);
  let schema: JsonObject | null | undefined = op.responses.get(status);
  if (schema === undefined && !op.responses.has(status)) {
    if (!undocumented.includes(exchange.status)) {
      report(
        `status ${status} is not documented for ${op.operationId} (documented: ${[...op.responses.keys()].join(', ')})`,
      );
      return problems;
    }
    schema = isObject(exchange.responseBody) ? { $ref: '#/components/schemas/Error' } : null;
  }
  if (schema === null || schema === undefined) {
    if (exchange.responseBody !== undefined && exchange.responseBody !== '' && op.responses.has(status)) {
      report(`status ${status} has no body in the spec, but one was sent`);
    }
    return problems;
  }
  const strict = options.strictResponses ?? true;
  for (const e of spec.validate(schema, exchange.responseBody, strict)) report(`response body ${e}`);
  return problems;
}
