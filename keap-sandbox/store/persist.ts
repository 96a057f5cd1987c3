// Optional durability (option `stateFile`): the whole data state (every table with its id sequence, the other
// id sequences, order custom fields, tags, notes, payments) as versioned JSON. Loaded once at start; saved
// atomically (temp file, fsync, rename; mode 0600) a short while after changes, never on the request path,
// and once more on close. Faults, stats, rate windows and latency are run-time settings and are not saved.
// Version 2 adds the OAuth state (grants, access tokens and codes, as SHA-256 digests); version 1 files still load.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { PersistedOAuth } from '../oauth';
import type {
  ContactRecord,
  CustomFieldRecord,
  NoteRecord,
  OrderRecord,
  ProductRecord,
  SubscriptionPlanRecord,
  TagRecord,
} from './records';
import { SEQUENCE_NAMES, type SandboxState, type Sequences } from './state';
import type { Row, Table } from './table';

export const STATE_FORMAT_VERSION = 2;
/** Versions this sandbox loads (it always writes STATE_FORMAT_VERSION). */
export const READABLE_STATE_FORMAT_VERSIONS: readonly number[] = [1, 2];

/** What persistence needs of the OAuth provider (oauth.ts). */
export interface OAuthStateHolder {
  dump(): PersistedOAuth;
  load(state: PersistedOAuth): void;
  clear(): void;
}

interface PersistedTable<R> {
  nextId: number;
  rows: R[];
}

type PersistedContact = Omit<ContactRecord, 'tags'> & { tags: [number, string][] };
type PersistedOrder = Omit<OrderRecord, 'customFields'> & { customFields: [number, unknown][] };

/** The file format, version 1. Records keep their in-memory shape; Maps become arrays of entries. */
export interface PersistedStateV1 {
  version: 1;
  savedAt: string;
  /** Money is stored in minor units of this currency, so the file only fits a sandbox with the same one. */
  currency: string;
  sequences: Sequences;
  tables: {
    contacts: PersistedTable<PersistedContact>;
    products: PersistedTable<ProductRecord>;
    orderFields: PersistedTable<CustomFieldRecord>;
    orders: PersistedTable<PersistedOrder>;
    tags: PersistedTable<TagRecord>;
    notes: PersistedTable<NoteRecord>;
    /** Products' subscription plans; absent in files written before the sandbox had them. */
    subscriptionPlans?: PersistedTable<SubscriptionPlanRecord>;
  };
}

/** Version 2: version 1 plus the OAuth state. */
export interface PersistedStateV2 extends Omit<PersistedStateV1, 'version'> {
  version: 2;
  oauth: PersistedOAuth;
}

function dumpTable<T extends Row, R>(table: Table<T>, encode: (row: T) => R): PersistedTable<R> {
  return { nextId: table.peekNextId(), rows: Array.from(table.values(), encode) };
}

const same = <T>(row: T): T => row;

/** Serialises the whole data state. Synchronous, so it is a consistent snapshot (handlers are synchronous). */
export function serializeState(state: SandboxState, currency: string, oauth?: OAuthStateHolder): string {
  const persisted: PersistedStateV2 = {
    version: STATE_FORMAT_VERSION,
    savedAt: new Date().toISOString(),
    currency,
    sequences: state.sequences(),
    tables: {
      contacts: dumpTable(state.contacts, (c) => ({ ...c, tags: [...c.tags] })),
      products: dumpTable(state.products, same),
      orderFields: dumpTable(state.orderFields, same),
      orders: dumpTable(state.orders, (o) => ({ ...o, customFields: [...o.customFields] })),
      tags: dumpTable(state.tags, same),
      notes: dumpTable(state.notes, same),
      subscriptionPlans: dumpTable(state.subscriptionPlans, same),
    },
    oauth: oauth?.dump() ?? { grants: [], accessTokens: [], codes: [] },
  };
  return `${JSON.stringify(persisted)}\n`;
}

// Validation of a file being loaded: enough structure that the loaded state cannot break the operations
// (index keys, money, Maps); the rest of each record is kept as written.
const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const minor = z.number().int().max(Number.MAX_SAFE_INTEGER).min(Number.MIN_SAFE_INTEGER);
const time = z.string();
const table = <T extends z.ZodType>(row: T) => z.object({ nextId: id, rows: z.array(row) });

const sha = z.string().regex(/^[0-9a-f]{64}$/);
const epochMs = z.number().int().nonnegative();
const OAuthSchema = z.object({
  grants: z.array(
    z.object({ id: z.string().min(1), clientId: z.string(), createdAt: epochMs, refreshTokenSha256: sha }),
  ),
  accessTokens: z.array(z.object({ sha256: sha, grantId: z.string(), expiresAt: epochMs })),
  codes: z.array(
    z.object({ sha256: sha, clientId: z.string(), redirectUri: z.string().optional(), expiresAt: epochMs }),
  ),
});

const FileSchema = z.object({
  version: z.union([z.literal(1), z.literal(2)]),
  oauth: OAuthSchema.optional(),
  savedAt: z.string().optional(),
  currency: z.string(),
  sequences: z.object(
    Object.fromEntries(SEQUENCE_NAMES.map((name) => [name, id])) as Record<keyof Sequences, typeof id>,
  ),
  tables: z.object({
    contacts: table(
      z.looseObject({
        id,
        data: z.looseObject({
          email_addresses: z.array(z.looseObject({ email: z.string() })).optional(),
          utm_parameters: z.array(z.looseObject({ id })).optional(),
        }),
        tags: z.array(z.tuple([id, time])),
        create_time: time,
        update_time: time,
      }),
    ),
    products: table(
      z.looseObject({ id, name: z.string(), sku: z.string().optional(), priceMinor: minor, create_time: time }),
    ),
    orderFields: table(
      z.looseObject({
        id,
        label: z.string(),
        field_type: z.string(),
        field_name: z.string(),
        options: z.array(z.looseObject({ id: z.string(), label: z.string() })),
      }),
    ),
    orders: table(
      z.looseObject({
        id,
        contactId: id,
        invoiceId: id,
        items: z.array(
          z.looseObject({
            id,
            quantity: z.number(),
            priceMinor: minor,
            product: z.looseObject({ id: z.string() }).optional(),
          }),
        ),
        shipping: z.looseObject({ id: z.string() }).optional(),
        totalMinor: minor,
        paidMinor: minor,
        customFields: z.array(z.tuple([id, z.unknown()])),
        payments: z.array(z.looseObject({ id, paymentId: id, amountMinor: minor })),
      }),
    ),
    tags: table(z.looseObject({ id, name: z.string(), create_time: time })),
    notes: table(z.looseObject({ id, contactId: id, create_time: time })),
    subscriptionPlans: table(
      z.looseObject({ id, productId: id, priceMinor: minor, frequency: z.number().int(), create_time: time }),
    ).optional(),
  }),
});

/** Why a state file cannot be used; the file is left untouched. */
export class StateFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(
      `Keap sandbox state file ${path} cannot be loaded: ${reason}. ` +
        'The file was left untouched: fix it, or move it away to start with an empty sandbox.',
    );
    this.name = 'StateFileError';
  }
}

/**
 * Loads `path` into `state` when it exists (returns false when it does not). Anything unreadable, of another
 * format version, for another currency or inconsistent is a StateFileError: demo data is never discarded.
 */
export async function loadStateFile(
  path: string,
  state: SandboxState,
  currency: string,
  oauth?: OAuthStateHolder,
): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new StateFileError(path, `it cannot be read (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StateFileError(path, `it is not valid JSON (${(err as Error).message})`);
  }
  const version = typeof json === 'object' && json !== null ? (json as { version?: unknown }).version : undefined;
  if (typeof version !== 'number' || !READABLE_STATE_FORMAT_VERSIONS.includes(version)) {
    const found = version === undefined ? 'no format version' : `format version ${JSON.stringify(version)}`;
    const readable = READABLE_STATE_FORMAT_VERSIONS.join(' and ');
    throw new StateFileError(path, `it has ${found}; this sandbox reads versions ${readable}`);
  }
  const parsed = FileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
    throw new StateFileError(path, `it is not a valid sandbox state (${problems.join('; ')})`);
  }
  // Restore from the JSON as read, not zod's output: that would reorder the keys of the records, and
  // responses echo stored objects, so their key order would change across a restart.
  const file = json as PersistedStateV1 | PersistedStateV2;
  if (file.version === 2 && parsed.data.oauth === undefined) {
    throw new StateFileError(path, 'it is not a valid sandbox state (oauth: a version 2 file needs it)');
  }
  if (file.currency.toUpperCase() !== currency) {
    throw new StateFileError(
      path,
      `it holds amounts in ${file.currency} but the sandbox is configured for ${currency} (option currency)`,
    );
  }
  try {
    restore(state, file);
    // Version 1 files predate OAuth: no grants.
    if (file.version === 2) oauth?.load(file.oauth);
  } catch (err) {
    state.reset();
    oauth?.clear();
    throw new StateFileError(path, `it is inconsistent (${(err as Error).message})`);
  }
  return true;
}

function loadTable<T extends Row>(name: string, table: Table<T>, rows: T[], nextId: number): void {
  try {
    table.load(rows, nextId);
  } catch (err) {
    throw new Error(`tables.${name}: ${(err as Error).message}`);
  }
}

function restore(state: SandboxState, file: PersistedStateV1 | PersistedStateV2): void {
  const t = file.tables;
  const contacts = t.contacts.rows.map((c) => ({ ...c, tags: new Map(c.tags) }));
  loadTable('contacts', state.contacts, contacts, t.contacts.nextId);
  loadTable('products', state.products, t.products.rows, t.products.nextId);
  loadTable('orderFields', state.orderFields, t.orderFields.rows, t.orderFields.nextId);
  const orders = t.orders.rows.map((o) => ({ ...o, customFields: new Map(o.customFields) }));
  loadTable('orders', state.orders, orders, t.orders.nextId);
  loadTable('tags', state.tags, t.tags.rows, t.tags.nextId);
  loadTable('notes', state.notes, t.notes.rows, t.notes.nextId);
  if (t.subscriptionPlans) {
    for (const plan of t.subscriptionPlans.rows) {
      if (!state.products.get(plan.productId))
        throw new Error(`tables.subscriptionPlans: plan ${plan.id} belongs to missing product ${plan.productId}`);
    }
    loadTable('subscriptionPlans', state.subscriptionPlans, t.subscriptionPlans.rows, t.subscriptionPlans.nextId);
  }

  // Every sequence must be past the ids it already handed out, or a new record would reuse one.
  const used: Record<keyof Sequences, number[]> = {
    invoice: t.orders.rows.map((o) => o.invoiceId),
    payment: t.orders.rows.flatMap((o) => o.payments.map((p) => p.paymentId)),
    invoicePayment: t.orders.rows.flatMap((o) => o.payments.map((p) => p.id)),
    orderItem: t.orders.rows.flatMap((o) => o.items.map((i) => i.id)),
    fieldOption: t.orderFields.rows.flatMap((f) => f.options.map((o) => Number(o.id))),
    shipping: t.orders.rows.flatMap((o) => (o.shipping ? [Number(o.shipping.id)] : [])),
    utm: t.contacts.rows.flatMap((c) => (c.data.utm_parameters ?? []).map((u) => u.id)),
  };
  for (const name of SEQUENCE_NAMES) {
    const max = used[name].reduce((a, b) => (b > a ? b : a), 0);
    if (file.sequences[name] <= max) {
      throw new Error(`sequences.${name} is at ${file.sequences[name]} but id ${max} is already used`);
    }
  }
  state.loadSequences(file.sequences);
}

/**
 * `mkdir -p` (mode 0700 for the directories it creates). Not `mkdir({recursive: true})`: on Node 20 that loops
 * forever where mkdir answers ENOENT under an existing parent (e.g. below /proc).
 */
async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    await ensureDir(parent);
    await mkdir(dir, { mode: 0o700 }).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

/** Writes `text` to `path` atomically: a temp file next to it (mode 0600), fsync, rename over `path`. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Saves the state a while after changes: the first change arms a timer (`delayMs`); changes made meanwhile
 * ride along, so there is at most one save per `delayMs`. Saves never overlap. A failed save is logged and
 * retried with backoff; `close()` saves a last time and rejects if that fails.
 */
export class StatePersister {
  private dirty = false;
  private closed = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    readonly path: string,
    private readonly serialize: () => string,
    private readonly delayMs: number,
  ) {}

  /** Creates the file's directory and saves the current state, so an unwritable path fails at start. */
  async open(): Promise<void> {
    try {
      await ensureDir(dirname(this.path));
      await this.save();
    } catch (err) {
      this.closed = true;
      clearTimeout(this.timer);
      throw new Error(`Keap sandbox state file ${this.path} cannot be written: ${(err as Error).message}`);
    }
  }

  /** Records that the state changed; a save follows within `delayMs` (later if one is under way). */
  changed(): void {
    if (this.closed) return;
    this.dirty = true;
    this.schedule(this.delayMs);
  }

  /** Stops the timer, waits for a save under way, then saves a last time. */
  async close(): Promise<void> {
    if (this.closed) return this.writing;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing?.catch(() => undefined);
    await this.save();
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.writing !== undefined) return; // the running save reschedules
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save().catch((err: unknown) => {
        console.error(`[keap-sandbox] saving state to ${this.path} failed (will retry): ${(err as Error).message}`);
      });
    }, delayMs);
    this.timer.unref();
  }

  private save(): Promise<void> {
    this.dirty = false;
    const write = (async () => {
      try {
        await writeFileAtomic(this.path, this.serialize());
        this.failures = 0;
      } catch (err) {
        this.dirty = true;
        this.failures++;
        throw err;
      }
    })();
    this.writing = write;
    const settle = (): void => {
      if (this.writing === write) this.writing = undefined;
      if (!this.dirty || this.closed) return;
      const backoff = Math.min(30_000, Math.max(this.delayMs, 250) * 2 ** (this.failures - 1));
      this.schedule(this.failures > 0 ? backoff : this.delayMs);
    };
    write.then(settle, settle);
    return write;
  }
}
