/**
 * The chaos suite: Sales Sync as it runs in production (a Temporal dev server persisted to SQLite, the
 * worker and the API as their own processes) against a Keap sandbox that misbehaves at random from a
 * seed. It sends a seeded mix of orders, plans and subscriptions with redelivered and out-of-order
 * webhooks, SIGKILLs the worker and the API and restarts the Temporal server on its database mid-run,
 * then checks through Keap's own API that every order is there exactly once with exactly its payments.
 * The sender behaves like Stripe and the checkout platform: it retries a delivery until it is accepted.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, Client } from '@temporalio/client';
import { freePort, spawnTs, type Child } from '../../bench/processes';
import { orderWorkflowId } from '../../orders/workflow/definitions';
import { startKeapSandbox, type KeapSandbox } from '../../keap-sandbox';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../../platform/embedded-postgres';
import { signEvent } from '../../scripts/stripe-events';
import { startDevServer, type DevServer, type DevServerOptions } from '../../scripts/temporal-dev-server';
import { installTestRuntime } from '../support/runtime';
import { checkInvariants, type KeapContactView, type KeapOrderView, type KeapPaymentView } from './invariants';
import { buildScenario, type ChaosOrder, type Delivery, type Lifecycle } from './scenario';

export interface ChaosOptions {
  seed: number;
  orders: number;
  /** Orders whose deliveries are in flight at once. */
  concurrency: number;
  /** Probability that a Keap call misbehaves (spread over 5xx, 429, latency, resets, lost responses). */
  faultRate: number;
  duplicateRate: number;
  repeatCustomerRate: number;
  /** Points in the run (share of deliveries done) where the worker is SIGKILLed and restarted. */
  workerKillsAt: number[];
  /** ... where the API is SIGKILLed and restarted. */
  apiKillsAt: number[];
  /** ... where the Temporal dev server is stopped and restarted on its database. */
  serverRestartsAt: number[];
  /** How long the orders may take to settle after the last delivery. */
  settleTimeoutMs: number;
  log: (line: string) => void;
}

export const DEFAULT_CHAOS_OPTIONS: Omit<ChaosOptions, 'seed' | 'log'> = {
  orders: 300,
  concurrency: 12,
  faultRate: 0.15,
  duplicateRate: 0.25,
  repeatCustomerRate: 0.1,
  workerKillsAt: [0.3, 0.75],
  apiKillsAt: [0.6],
  serverRestartsAt: [0.45],
  settleTimeoutMs: 8 * 60_000,
};

export interface ChaosReport {
  seed: number;
  durationSeconds: number;
  orders: Record<Lifecycle | 'total', number>;
  deliveries: { sent: number; redeliveries: number; outOfOrder: number; retriedWhileDown: number };
  keap: {
    calls: number;
    faults: number;
    faultsByMode: Record<string, number>;
    throttled: number;
    lostResponses: number;
  };
  temporal: { activityRetries: number; workflowTaskFailures: number };
  crashes: { workerKills: number; apiKills: number; serverRestarts: number };
  expected: { keapOrders: number; payments: number };
  found: { keapOrders: number; payments: number; contacts: number };
  duplicates: number;
  duplicateContacts: number;
  lost: number;
  stuck: number;
  orphaned: number;
  needsAttention: number;
  /** Every violation, spelled out (empty when all invariants hold). */
  violations: string[];
  /** For each order that did not settle: what its workflow was waiting on. */
  diagnostics: string[];
}

const TOKEN = 'chaos-token-0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_chaos_0123456789abcdef';
const TASK_QUEUE = 'sales-sync-chaos';
const ACCOUNT_ID = 'chaos';
const PAYLOAD_KEYS = `chaos1:${Buffer.alloc(32, 9).toString('base64')}`;
/** Chaos faults, by share of the fault rate. */
const FAULT_MIX = {
  'error-5xx': 0.3,
  'throttle-429': 0.2,
  latency: 0.2,
  'connection-reset': 0.15,
  'commit-then-lose': 0.15,
} as const;

interface Processes {
  server: DevServer;
  /** The PostgreSQL the worker and the API share. */
  postgres: EmbeddedPostgresServer;
  worker: Child;
  api: Child;
}

class ChaosRun {
  private readonly report: ChaosReport;
  private processes!: Processes;
  private serverOptions!: DevServerOptions;
  private childEnv!: Record<string, string>;
  private apiUrl!: string;
  private sandbox!: KeapSandbox;
  private dataDir!: string;
  private readonly stuck = new Set<string>();
  /** Crash actions run one at a time, beside the traffic. */
  private crashes: Promise<void> = Promise.resolve();

  constructor(private readonly options: ChaosOptions) {
    this.report = {
      seed: options.seed,
      durationSeconds: 0,
      orders: { total: 0, one_time: 0, payment_plan: 0, subscription: 0 },
      deliveries: { sent: 0, redeliveries: 0, outOfOrder: 0, retriedWhileDown: 0 },
      keap: { calls: 0, faults: 0, faultsByMode: {}, throttled: 0, lostResponses: 0 },
      temporal: { activityRetries: 0, workflowTaskFailures: 0 },
      crashes: { workerKills: 0, apiKills: 0, serverRestarts: 0 },
      expected: { keapOrders: 0, payments: 0 },
      found: { keapOrders: 0, payments: 0, contacts: 0 },
      duplicates: 0,
      duplicateContacts: 0,
      lost: 0,
      stuck: 0,
      orphaned: 0,
      needsAttention: 0,
      violations: [],
      diagnostics: [],
    };
  }

  private log(line: string): void {
    this.options.log(`[chaos] ${line}`);
  }

  async run(): Promise<ChaosReport> {
    const started = Date.now();
    installTestRuntime();
    this.dataDir = await mkdtemp(join(tmpdir(), 'sales-sync-chaos-'));
    try {
      await this.startAll();
      const scenario = buildScenario({
        seed: this.options.seed,
        orders: this.options.orders,
        accountId: ACCOUNT_ID,
        duplicateRate: this.options.duplicateRate,
        repeatCustomerRate: this.options.repeatCustomerRate,
      });
      await this.createAccount();
      this.sandbox.chaos.configure({
        seed: this.options.seed,
        rates: Object.fromEntries(
          Object.entries(FAULT_MIX).map(([mode, share]) => [mode, share * this.options.faultRate]),
        ),
        latencyMs: { min: 200, max: 2_000 },
      });
      await this.deliverAll(scenario.orders, scenario.deliveries);
      await this.crashes;
      await this.settle(scenario.orders);
      // Faults off: the checks read Keap as a merchant would, through the same API.
      this.sandbox.chaos.clear();
      const stats = this.sandbox.stats();
      this.report.keap = {
        calls: Object.values(stats.calls).reduce((a, b) => a + b, 0),
        faults: stats.faultsTotal,
        faultsByMode: { ...stats.faultsByMode },
        throttled: stats.throttled.total,
        lostResponses: stats.lostResponses,
      };
      await this.checkKeap(scenario.orders);
      await this.inspectWorkflows(scenario.orders);
    } finally {
      this.report.durationSeconds = Math.round((Date.now() - started) / 100) / 10;
      await this.stopAll();
    }
    return this.report;
  }

  private async startAll(): Promise<void> {
    const [temporalPort, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    this.sandbox = await startKeapSandbox({ port: 0 });
    const postgres = await startEmbeddedPostgres({ dir: join(this.dataDir, 'postgres'), port: await freePort() });
    await postgres.createDatabase('sales_sync');
    this.serverOptions = {
      host: '127.0.0.1',
      port: temporalPort,
      uiPort,
      namespace: 'default',
      dbFile: join(this.dataDir, 'temporal.db'),
      logFile: join(this.dataDir, 'temporal.log'),
    };
    const server = await startDevServer(this.serverOptions).catch(async (error: unknown) => {
      await postgres.stop();
      throw error;
    });
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.childEnv = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      SALES_SYNC_DATA_DIR: this.dataDir,
      DATABASE_URL: postgres.url('sales_sync'),
      SALES_SYNC_API_TOKEN: TOKEN,
      SALES_SYNC_PORT: String(apiPort),
      SALES_SYNC_PAYLOAD_KEYS: PAYLOAD_KEYS,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      KEAP_BASE_URL: this.sandbox.url,
      KEAP_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'info',
    };
    const [worker, api] = await Promise.allSettled([this.spawnWorker(), this.spawnApi()]);
    if (worker.status === 'rejected' || api.status === 'rejected') {
      // Stop whatever did start, then fail with the reason.
      await Promise.allSettled([worker, api].flatMap((r) => (r.status === 'fulfilled' ? [r.value.stop()] : [])));
      await Promise.allSettled([server.stop(), postgres.stop()]);
      throw worker.status === 'rejected' ? worker.reason : (api as PromiseRejectedResult).reason;
    }
    this.processes = { server, postgres, worker: worker.value, api: api.value };
    this.log(`stack up: Temporal ${server.address}, API ${this.apiUrl}, Keap sandbox ${this.sandbox.url}`);
  }

  private spawnWorker(): Promise<Child> {
    return spawnTs('worker', 'workers/main.ts', this.childEnv, /worker polling/);
  }

  private spawnApi(): Promise<Child> {
    return spawnTs('api', 'api/main.ts', this.childEnv, /API listening/);
  }

  private async stopAll(): Promise<void> {
    const p = this.processes as Processes | undefined;
    await Promise.allSettled([p?.api.stop(), p?.worker.stop()]);
    await Promise.allSettled([p?.server.stop(), p?.postgres.stop(), this.sandbox?.close()]);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async createAccount(): Promise<void> {
    const res = await fetch(`${this.apiUrl}/v1/accounts/${ACCOUNT_ID}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        keap: { apiKey: this.sandbox.apiKey },
        salesSyncEnabled: true,
        paymentMethodType: 'Stripe',
      }),
    });
    if (!res.ok) throw new Error(`account PUT → ${res.status} ${await res.text()}`);
  }

  /** Sends every lane's deliveries, `concurrency` orders at a time, and fires the crashes on schedule. */
  private async deliverAll(orders: ChaosOrder[], lanes: Delivery[][]): Promise<void> {
    for (const order of orders) {
      this.report.orders[order.lifecycle]++;
      this.report.orders.total++;
      this.report.expected.keapOrders += order.expectedKeapOrders;
      this.report.expected.payments += order.paidPaymentIds.length;
    }
    const total = lanes.reduce((n, lane) => n + lane.length, 0);
    const schedule = [
      ...this.options.workerKillsAt.map((at) => ({ at, crash: () => this.kill('worker') })),
      ...this.options.apiKillsAt.map((at) => ({ at, crash: () => this.kill('api') })),
      ...this.options.serverRestartsAt.map((at) => ({ at, crash: () => this.restartServer() })),
    ].sort((a, b) => a.at - b.at);
    let done = 0;
    let next = 0;
    const queue = [...lanes.keys()];
    const lane = async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const deliveries = lanes[i] as Delivery[];
        if (deliveries[0]?.kind !== 'order') this.report.deliveries.outOfOrder++;
        for (const delivery of deliveries) {
          await this.deliver(delivery);
          done++;
          while (next < schedule.length && done / total >= (schedule[next]?.at ?? 1)) {
            const { crash } = schedule[next++] as (typeof schedule)[number];
            this.crashes = this.crashes.then(crash);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, lane));
    this.log(`${done} deliveries sent (${this.report.deliveries.redeliveries} redeliveries)`);
  }

  /** One delivery, retried like Stripe (and a checkout platform) would until it is accepted. */
  private async deliver(delivery: Delivery): Promise<void> {
    this.report.deliveries.sent++;
    if (delivery.duplicate) this.report.deliveries.redeliveries++;
    const deadline = Date.now() + 5 * 60_000;
    for (let attempt = 0; ; attempt++) {
      let status = 0;
      let text = '';
      try {
        const res =
          delivery.kind === 'order'
            ? await fetch(`${this.apiUrl}/v1/accounts/${ACCOUNT_ID}/orders`, {
                method: 'POST',
                headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
                body: JSON.stringify(delivery.body),
                signal: AbortSignal.timeout(30_000),
              })
            : await this.postWebhook(delivery.event);
        status = res.status;
        text = await res.text();
      } catch (error) {
        text = error instanceof Error ? error.message : String(error);
      }
      if (status === 202 || status === 200) return;
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable || Date.now() > deadline) {
        this.report.violations.push(
          `${delivery.kind} for ${delivery.orderId} refused: ${status} ${text.slice(0, 200)}`,
        );
        return;
      }
      this.report.deliveries.retriedWhileDown++;
      await sleep(Math.min(250 * 2 ** attempt, 5_000));
    }
  }

  private postWebhook(event: object): Promise<Response> {
    // Stripe signs each delivery afresh (a new timestamp), redeliveries included.
    const { body, signature } = signEvent(event, WEBHOOK_SECRET);
    return fetch(`${this.apiUrl}/v1/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  }

  /** SIGKILL, as the OOM killer or a lost host would: no shutdown hooks, in-flight work cut off. */
  private async kill(which: 'worker' | 'api'): Promise<void> {
    const child = this.processes[which];
    this.log(`SIGKILL ${which} (pid ${child.pid})`);
    const exited = new Promise((resolve) => child.process.once('exit', resolve));
    child.process.kill('SIGKILL');
    await exited;
    await sleep(1_000);
    this.processes[which] = await (which === 'worker' ? this.spawnWorker() : this.spawnApi());
    this.report.crashes[which === 'worker' ? 'workerKills' : 'apiKills']++;
    this.log(`${which} restarted (pid ${this.processes[which].pid})`);
  }

  private async restartServer(): Promise<void> {
    this.log('stopping the Temporal dev server');
    await this.processes.server.stop();
    const size = (await stat(this.serverOptions.dbFile)).size;
    await sleep(2_000);
    this.processes.server = await startDevServer(this.serverOptions);
    this.report.crashes.serverRestarts++;
    this.log(`Temporal dev server restarted on its database (${(size / 2 ** 20).toFixed(1)} MiB)`);
  }

  /** Waits until every order shows the status and payments it must end with; returns those that did. */
  private async settle(orders: ChaosOrder[]): Promise<void> {
    const settled = new Set<string>();
    const deadline = Date.now() + this.options.settleTimeoutMs;
    const last = new Map<string, string>();
    while (settled.size < orders.length && Date.now() < deadline) {
      const pending = orders.filter((o) => !settled.has(o.orderId));
      await Promise.all(
        pending.map(async (order) => {
          const lifecycle = await this.lifecycle(order.orderId);
          if (!lifecycle) return;
          last.set(order.orderId, `${lifecycle.status}${lifecycle.statusReason ? ` (${lifecycle.statusReason})` : ''}`);
          const paid = order.lifecycle === 'subscription' ? lifecycle.cycles : lifecycle.payments.length;
          if (lifecycle.status === order.expectedStatus && paid === order.paidPaymentIds.length) {
            settled.add(order.orderId);
          }
        }),
      );
      if (settled.size < orders.length) await sleep(2_000);
    }
    for (const order of orders) {
      if (settled.has(order.orderId)) continue;
      this.report.stuck++;
      this.stuck.add(order.orderId);
      const status = last.get(order.orderId) ?? 'unknown';
      if (status.startsWith('NeedsAttention')) this.report.needsAttention++;
      this.report.violations.push(
        `stuck: ${order.orderId} (${order.lifecycle}) is ${status}, expected ${order.expectedStatus}`,
      );
    }
    this.log(`${settled.size}/${orders.length} orders settled`);
  }

  private async lifecycle(orderId: string): Promise<LifecycleView | undefined> {
    try {
      const res = await fetch(`${this.apiUrl}/v1/accounts/${ACCOUNT_ID}/orders/${orderId}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: AbortSignal.timeout(15_000),
      });
      return res.ok ? ((await res.json()) as LifecycleView) : undefined;
    } catch {
      return undefined;
    }
  }

  private async keap<T>(path: string): Promise<T> {
    const res = await fetch(`${this.sandbox.url}/rest/v2${path}`, {
      headers: { 'X-Keap-API-Key': this.sandbox.apiKey },
    });
    if (!res.ok) throw new Error(`Keap GET ${path} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  private async keapList<T>(path: string, key: string): Promise<T[]> {
    const all: T[] = [];
    let token = '';
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page = await this.keap<Record<string, unknown>>(
        `${path}${sep}page_size=1000${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
      );
      all.push(...((page[key] as T[] | undefined) ?? []));
      token = typeof page.next_page_token === 'string' ? page.next_page_token : '';
    } while (token);
    return all;
  }

  /** The invariants, read through Keap's API as a merchant (or a 3PL) would read it. */
  private async checkKeap(orders: ChaosOrder[]): Promise<void> {
    const keapOrders = await this.keapList<KeapOrderView>('/orders', 'orders');
    const paymentsByOrder = new Map<string, KeapPaymentView[]>();
    for (const keapOrder of keapOrders) {
      paymentsByOrder.set(
        keapOrder.id,
        await this.keapList<KeapPaymentView>(`/orders/${keapOrder.id}/payments`, 'invoice_order_payments'),
      );
    }
    const contacts = await this.keapList<KeapContactView>('/contacts', 'contacts');
    const result = checkInvariants(ACCOUNT_ID, orders, { orders: keapOrders, paymentsByOrder, contacts });
    this.report.found = result.found;
    this.report.duplicates = result.duplicates;
    this.report.lost = result.lost;
    this.report.orphaned = result.orphaned;
    this.report.duplicateContacts = result.duplicateContacts;
    this.report.violations.push(...result.violations);
  }

  /**
   * Activity retries and failed workflow tasks, from the order workflows' histories; for an order that
   * did not settle, what it is waiting on (pending activities with their last failure), to debug with.
   */
  private async inspectWorkflows(orders: ChaosOrder[]): Promise<void> {
    const connection = await Connection.connect({ address: this.processes.server.address });
    try {
      const client = new Client({ connection });
      for (const order of orders) {
        const handle = client.workflow.getHandle(orderWorkflowId(ACCOUNT_ID, order.orderId));
        const history = await handle.fetchHistory();
        for (const event of history.events ?? []) {
          const attempt = event.activityTaskStartedEventAttributes?.attempt ?? 1;
          if (attempt > 1) this.report.temporal.activityRetries += attempt - 1;
          if (event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes) {
            this.report.temporal.workflowTaskFailures++;
          }
        }
        if (!this.stuck.has(order.orderId)) continue;
        const { raw } = await handle.describe();
        const pending = (raw.pendingActivities ?? []).map((a) => ({
          activity: a.activityType?.name,
          state: a.state,
          attempt: a.attempt,
          lastFailure: a.lastFailure?.message,
          lastWorker: a.lastWorkerIdentity,
          nextAttempt: a.nextAttemptScheduleTime?.seconds?.toString(),
        }));
        const tail = (history.events ?? []).slice(-8).map((e) => String(e.eventType));
        this.report.diagnostics.push(
          `${order.orderId}: status ${raw.workflowExecutionInfo?.status}, pending ${JSON.stringify(pending)}, last events ${tail.join(',')}`,
        );
      }
    } finally {
      await connection.close();
    }
  }
}

interface LifecycleView {
  status: string;
  statusReason?: string;
  payments: { id: string }[];
  cycles?: number;
}

export function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  return new ChaosRun(options).run();
}

/** The figures table the suite prints. */
export function formatReport(r: ChaosReport): string {
  const modes = Object.entries(r.keap.faultsByMode)
    .filter(([, n]) => n > 0)
    .map(([mode, n]) => `${mode} ${n}`)
    .join(', ');
  const rows: [string, string][] = [
    ['seed', String(r.seed)],
    [
      'orders',
      `${r.orders.total} (${r.orders.one_time} one-time, ${r.orders.payment_plan} plans, ${r.orders.subscription} subscriptions)`,
    ],
    [
      'deliveries',
      `${r.deliveries.sent} (${r.deliveries.redeliveries} redelivered, ${r.deliveries.outOfOrder} orders with a payment before the order POST)`,
    ],
    ['deliveries retried (API or Temporal down)', String(r.deliveries.retriedWhileDown)],
    ['Keap calls', String(r.keap.calls)],
    ['faults injected', `${r.keap.faults} (${modes || 'none'})`],
    ['activity retries', String(r.temporal.activityRetries)],
    ['workflow tasks failed or timed out', String(r.temporal.workflowTaskFailures)],
    [
      'crashes survived',
      `${r.crashes.workerKills + r.crashes.apiKills + r.crashes.serverRestarts} (worker SIGKILL ${r.crashes.workerKills}, API SIGKILL ${r.crashes.apiKills}, Temporal server restart ${r.crashes.serverRestarts})`,
    ],
    ['Keap orders expected / found', `${r.expected.keapOrders} / ${r.found.keapOrders}`],
    ['payments expected / found', `${r.expected.payments} / ${r.found.payments}`],
    ['duplicates found (must be 0)', String(r.duplicates)],
    ['lost (must be 0)', String(r.lost)],
    ['stuck (must be 0)', String(r.stuck)],
    ['orphaned (must be 0)', String(r.orphaned)],
    ['duplicate contacts', String(r.duplicateContacts)],
    ['duration', `${r.durationSeconds} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`).join('\n');
}
