/**
 * The chaos suite: Sales Sync as it runs in production (a Temporal dev server persisted to SQLite,
 * several worker and API processes sharing one PostgreSQL) against Keap sandboxes, one per currency,
 * that misbehave at random from a seed. It sends a seeded mix of orders, plans and subscriptions with
 * redelivered and out-of-order webhooks spread over the API processes, and late events once orders
 * have closed; deletes closed workflows as Temporal's retention does and posts them again; SIGKILLs
 * workers and APIs, restarts the Temporal server and the database mid-run; then checks through Keap's
 * own API that every order is there exactly once with exactly its payments, and that the money in
 * each Keap app equals the money charged in its currency. The senders behave like Stripe and the
 * checkout platform: they retry a delivery until it is accepted (a retry may reach another API process,
 * as behind a load balancer).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { freePort, spawnTs, type Child } from '../../bench/processes';
import { formatMoney } from '../../common/money';
import { orderWorkflowId } from '../../orders/workflow/definitions';
import { startKeapSandbox, type KeapSandbox } from '../../keap-sandbox';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../../platform/embedded-postgres';
import { signEvent } from '../../scripts/stripe-events';
import { startDevServer, type DevServer, type DevServerOptions } from '../../scripts/temporal-dev-server';
import { installTestRuntime } from '../support/runtime';
import { keapOrderKey } from '../../orders/order';
import {
  checkInvariants,
  orderKeyOf,
  type KeapContactView,
  type KeapOrderView,
  type KeapPaymentView,
} from './invariants';
import {
  buildScenario,
  CHAOS_CURRENCIES,
  LATE_KINDS,
  type ChaosCurrency,
  type ChaosOrder,
  type Delivery,
  type LateKind,
  type LateStep,
  type Lifecycle,
  type ScenarioOptions,
} from './scenario';

export interface ChaosOptions {
  seed: number;
  /** Orders in all (the case pairs and the long plan included). */
  orders: number;
  /** Orders whose deliveries are in flight at once. */
  concurrency: number;
  /**
   * Spread the deliveries evenly over at least this many seconds (0: as fast as the lanes go), so the
   * crashes, scheduled by the share of deliveries done, meet traffic in flight.
   */
  trafficSeconds: number;
  /** Worker processes and API processes, all on the one database and Temporal server. */
  workers: number;
  apis: number;
  /** Probability that a Keap call misbehaves (spread over 5xx, 429, latency, resets, lost responses). */
  faultRate: number;
  duplicateRate: number;
  repeatCustomerRate: number;
  /** Points in the run (share of deliveries done) where a worker is SIGKILLed and restarted (each time the next one). */
  workerKillsAt: number[];
  /** ... where an API process is SIGKILLed and restarted. */
  apiKillsAt: number[];
  /** ... where the Temporal dev server is stopped and restarted on its database. */
  serverRestartsAt: number[];
  /** ... where PostgreSQL is stopped and started again on the same data folder and port. */
  databaseRestartsAt: number[];
  /** The long payment plan: installments, and how many Stripe reports paid. */
  longPlan: { installments: number; paid: number };
  casePairs?: number;
  lateRates?: ScenarioOptions['lateRates'];
  /** How long the orders may take to settle after the last delivery. */
  settleTimeoutMs: number;
  log: (line: string) => void;
}

export const DEFAULT_CHAOS_OPTIONS: Omit<ChaosOptions, 'seed' | 'log'> = {
  orders: 300,
  concurrency: 12,
  trafficSeconds: 120,
  workers: 2,
  apis: 2,
  faultRate: 0.15,
  duplicateRate: 0.25,
  repeatCustomerRate: 0.1,
  workerKillsAt: [0.3, 0.75],
  apiKillsAt: [0.6],
  serverRestartsAt: [0.45],
  databaseRestartsAt: [0.55],
  longPlan: { installments: 60, paid: 55 },
  settleTimeoutMs: 8 * 60_000,
};

export interface ChaosReport {
  seed: number;
  durationSeconds: number;
  processes: { workers: number; apis: number };
  orders: Record<Lifecycle | 'total', number>;
  /** Per currency: orders, and the money charged and found in Keap (minor units). */
  currencies: Record<string, { orders: number; charged: number; inKeap: number }>;
  deliveries: {
    sent: number;
    redeliveries: number;
    outOfOrder: number;
    retriedWhileDown: number;
    /** The answers that made a sender try again, by status (0: no answer, e.g. the API process was down). */
    retriedOn: Record<string, number>;
  };
  /** Pairs of orders whose ids differ only in case, and how many each have their own Keap order and payments. */
  casePairs: { pairs: number; separate: number };
  /** The long plan: its installments, those paid, the payments its Keap order holds, its status. */
  longPlan?: { orderId: string; installments: number; paid: number; inKeap: number; status: string };
  /** Late traffic: per kind, the orders given it and those whose late event came out as it must. */
  late: Record<LateKind, { orders: number; ok: number }>;
  /** Closed workflows deleted (as retention does), seconds until Temporal no longer had them, repeat posts answered 202 duplicate. */
  retention: { deleted: number; secondsToGone: number[]; repostedDuplicate: number; reposted: number };
  keap: {
    calls: number;
    faults: number;
    faultsByMode: Record<string, number>;
    throttled: number;
    lostResponses: number;
  };
  temporal: { activityRetries: number; workflowTaskFailures: number };
  crashes: { workerKills: number; apiKills: number; serverRestarts: number; databaseRestarts: number };
  expected: { keapOrders: number; payments: number };
  found: { keapOrders: number; payments: number; contacts: number };
  duplicates: number;
  duplicateContacts: number;
  lost: number;
  stuck: number;
  orphaned: number;
  /** Currencies whose money in Keap differs from the money charged. */
  moneyMismatches: number;
  needsAttention: number;
  /** Every violation, spelled out (empty when all invariants hold). */
  violations: string[];
  /** For each order that did not settle: what its workflow was waiting on. */
  diagnostics: string[];
}

const TOKEN = 'chaos-token-0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_chaos_0123456789abcdef';
const TASK_QUEUE = 'sales-sync-chaos';
const NAMESPACE = 'default';
const PAYLOAD_KEYS = `chaos1:${Buffer.alloc(32, 9).toString('base64')}`;
/** Chaos faults, by share of the fault rate. */
const FAULT_MIX = {
  'error-5xx': 0.3,
  'throttle-429': 0.2,
  latency: 0.2,
  'connection-reset': 0.15,
  'commit-then-lose': 0.15,
} as const;
/** Statuses in which an order's workflow has ended (a late event may run it again). */
const CLOSED_STATUSES = new Set(['COMPLETED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT', 'FAILED', 'CONTINUED_AS_NEW']);

interface Processes {
  server: DevServer;
  /** The PostgreSQL every worker and API shares. */
  postgres: EmbeddedPostgresServer;
  workers: Child[];
  apis: Child[];
}

interface LifecycleView {
  status: string;
  statusReason?: string;
  payments: { id: string }[];
  cycles?: number;
  refunds?: { id: string; amount: number }[];
  installments?: { paid: number; total: number };
  /** Times the order was run again for events after it ended. */
  reopenings?: number;
}

interface SendResult {
  status: number;
  text: string;
}

class ChaosRun {
  private readonly report: ChaosReport;
  private processes!: Processes;
  private serverOptions!: DevServerOptions;
  private postgresPort!: number;
  private childEnv!: Record<string, string>;
  private apiPorts: number[] = [];
  private readonly sandboxes = new Map<ChaosCurrency, KeapSandbox>();
  private temporal?: { connection: Connection; client: Client };
  private dataDir!: string;
  private readonly stuck = new Set<string>();
  /** Orders a violation names. */
  private readonly troubled = new Set<string>();
  /** Orders whose workflow the run deleted (a late event may start a new one). */
  private readonly deleted = new Set<string>();
  /** Crash actions, beside the traffic: one at a time per kind (workers, APIs, Temporal, database). */
  private readonly crashChains = new Map<string, Promise<void>>();
  private readonly lateTasks: Promise<void>[] = [];
  /** Per order, what its late steps saw (the answers to its late webhooks), for the violations. */
  private readonly lateNotes = new Map<string, string[]>();
  private sendSeq = 0;
  /** Pids the run SIGKILLs itself, and whether it is stopping everything. */
  private readonly expectedExits = new Set<number>();
  private stopping = false;

  constructor(private readonly options: ChaosOptions) {
    this.report = {
      seed: options.seed,
      durationSeconds: 0,
      processes: { workers: options.workers, apis: options.apis },
      orders: { total: 0, one_time: 0, payment_plan: 0, subscription: 0 },
      currencies: {},
      deliveries: { sent: 0, redeliveries: 0, outOfOrder: 0, retriedWhileDown: 0, retriedOn: {} },
      casePairs: { pairs: 0, separate: 0 },
      late: Object.fromEntries(LATE_KINDS.map((k) => [k, { orders: 0, ok: 0 }])) as ChaosReport['late'],
      retention: { deleted: 0, secondsToGone: [], repostedDuplicate: 0, reposted: 0 },
      keap: { calls: 0, faults: 0, faultsByMode: {}, throttled: 0, lostResponses: 0 },
      temporal: { activityRetries: 0, workflowTaskFailures: 0 },
      crashes: { workerKills: 0, apiKills: 0, serverRestarts: 0, databaseRestarts: 0 },
      expected: { keapOrders: 0, payments: 0 },
      found: { keapOrders: 0, payments: 0, contacts: 0 },
      duplicates: 0,
      duplicateContacts: 0,
      lost: 0,
      stuck: 0,
      orphaned: 0,
      moneyMismatches: 0,
      needsAttention: 0,
      violations: [],
      diagnostics: [],
    };
  }

  private readonly startedAt = Date.now();

  private log(line: string): void {
    this.options.log(`[chaos +${Math.round((Date.now() - this.startedAt) / 1000)}s] ${line}`);
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
        duplicateRate: this.options.duplicateRate,
        repeatCustomerRate: this.options.repeatCustomerRate,
        // Due dates follow the first payment: a run-time anchor keeps every monthly due date ahead of the run.
        paidAt: new Date(started - 60 * 60_000).toISOString(),
        longPlan: this.options.longPlan,
        ...(this.options.casePairs !== undefined ? { casePairs: this.options.casePairs } : {}),
        ...(this.options.lateRates ? { lateRates: this.options.lateRates } : {}),
      });
      for (const { accountId, currency } of scenario.accounts) await this.createAccount(accountId, currency);
      for (const [i, sandbox] of [...this.sandboxes.values()].entries()) {
        sandbox.chaos.configure({
          seed: this.options.seed + i,
          rates: Object.fromEntries(
            Object.entries(FAULT_MIX).map(([mode, share]) => [mode, share * this.options.faultRate]),
          ),
          latencyMs: { min: 200, max: 2_000 },
        });
      }
      await this.deliverAll(scenario.orders, scenario.deliveries, scenario.late);
      await Promise.all(this.crashChains.values());
      await Promise.all(this.lateTasks);
      await this.settle(scenario.orders);
      // Faults off: the checks read Keap as a merchant would, through the same API.
      for (const sandbox of this.sandboxes.values()) sandbox.chaos.clear();
      for (const sandbox of this.sandboxes.values()) {
        const stats = sandbox.stats();
        this.report.keap.calls += Object.values(stats.calls).reduce((a, b) => a + b, 0);
        this.report.keap.faults += stats.faultsTotal;
        for (const [mode, n] of Object.entries(stats.faultsByMode)) {
          this.report.keap.faultsByMode[mode] = (this.report.keap.faultsByMode[mode] ?? 0) + n;
        }
        this.report.keap.throttled += stats.throttled.total;
        this.report.keap.lostResponses += stats.lostResponses;
      }
      await this.checkKeap(scenario.orders);
      await this.inspectWorkflows(scenario.orders);
    } finally {
      this.report.durationSeconds = Math.round((Date.now() - started) / 100) / 10;
      await this.stopAll();
    }
    return this.report;
  }

  private async startAll(): Promise<void> {
    const [temporalPort, uiPort] = [await freePort(), await freePort()];
    for (let i = 0; i < this.options.apis; i++) this.apiPorts.push(await freePort());
    for (const currency of CHAOS_CURRENCIES) {
      this.sandboxes.set(currency, await startKeapSandbox({ port: 0, currency }));
    }
    this.postgresPort = await freePort();
    const postgres = await this.startPostgres();
    await postgres.createDatabase('sales_sync');
    this.serverOptions = {
      host: '127.0.0.1',
      port: temporalPort,
      uiPort,
      namespace: NAMESPACE,
      dbFile: join(this.dataDir, 'temporal.db'),
      logFile: join(this.dataDir, 'temporal.log'),
    };
    const server = await startDevServer(this.serverOptions).catch(async (error: unknown) => {
      await postgres.stop();
      throw error;
    });
    this.childEnv = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      SALES_SYNC_DATA_DIR: this.dataDir,
      DATABASE_URL: postgres.url('sales_sync'),
      SALES_SYNC_API_TOKEN: TOKEN,
      SALES_SYNC_PAYLOAD_KEYS: PAYLOAD_KEYS,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      KEAP_BASE_URL: (this.sandboxes.get('USD') as KeapSandbox).url,
      KEAP_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'info',
    };
    const started = await Promise.allSettled([
      ...Array.from({ length: this.options.workers }, (_, i) => this.spawnWorker(i)),
      ...Array.from({ length: this.options.apis }, (_, i) => this.spawnApi(i)),
    ]);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const children = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (failed) {
      // Stop whatever did start, then fail with the reason.
      await Promise.allSettled(children.map((c) => c.stop()));
      await Promise.allSettled([server.stop(), postgres.stop()]);
      throw failed.reason;
    }
    this.processes = {
      server,
      postgres,
      workers: children.slice(0, this.options.workers),
      apis: children.slice(this.options.workers),
    };
    await this.connectTemporal();
    this.log(
      `stack up: Temporal ${server.address}, ${this.options.workers} workers, APIs ${this.apiPorts
        .map((p) => `:${p}`)
        .join(' ')}, Keap sandboxes ${[...this.sandboxes].map(([c, s]) => `${c} ${s.url}`).join(', ')}`,
    );
  }

  private startPostgres(): Promise<EmbeddedPostgresServer> {
    return startEmbeddedPostgres({ dir: join(this.dataDir, 'postgres'), port: this.postgresPort });
  }

  private async connectTemporal(): Promise<void> {
    const connection = await Connection.connect({ address: this.processes.server.address });
    this.temporal = { connection, client: new Client({ connection, namespace: NAMESPACE }) };
  }

  private spawnWorker(index: number): Promise<Child> {
    return this.watched(spawnTs(`worker ${index + 1}`, 'workers/main.ts', this.childEnv, /worker polling/));
  }

  private spawnApi(index: number): Promise<Child> {
    const env = { ...this.childEnv, SALES_SYNC_PORT: String(this.apiPorts[index]) };
    return this.watched(spawnTs(`api ${index + 1}`, 'api/main.ts', env, /API listening/));
  }

  /** A worker or API that exits by itself (not SIGKILLed by the run, not stopped at its end) is a violation. */
  private async watched(spawned: Promise<Child>): Promise<Child> {
    const child = await spawned;
    child.process.once('exit', (code, signal) => {
      if (this.expectedExits.has(child.pid) || this.stopping) return;
      this.report.violations.push(
        `process: ${child.name} (pid ${child.pid}) exited by itself (${signal ?? `code ${code}`}):\n${child.output().slice(-2_000)}`,
      );
      this.log(`${child.name} exited by itself (${signal ?? `code ${code}`})`);
    });
    return child;
  }

  private apiUrl(n: number): string {
    return `http://127.0.0.1:${this.apiPorts[n % this.apiPorts.length]}`;
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    const p = this.processes as Processes | undefined;
    await Promise.allSettled([...(p?.apis ?? []), ...(p?.workers ?? [])].map((c) => c.stop()));
    await this.temporal?.connection.close().catch(() => undefined);
    await Promise.allSettled([
      p?.server.stop(),
      p?.postgres.stop(),
      ...[...this.sandboxes.values()].map((s) => s.close()),
    ]);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async createAccount(accountId: string, currency: ChaosCurrency): Promise<void> {
    const sandbox = this.sandboxes.get(currency) as KeapSandbox;
    const res = await fetch(`${this.apiUrl(0)}/v1/accounts/${accountId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        keap: { apiKey: sandbox.apiKey },
        keapBaseUrl: sandbox.url,
        currency,
        salesSyncEnabled: true,
        paymentMethodType: 'Stripe',
      }),
    });
    if (!res.ok) throw new Error(`account PUT ${accountId} → ${res.status} ${await res.text()}`);
  }

  /**
   * Sends every lane's deliveries, `concurrency` orders at a time, fires the crashes on schedule, and
   * starts each order's late steps once its lane is done (they run beside the traffic).
   */
  private async deliverAll(orders: ChaosOrder[], lanes: Delivery[][], late: LateStep[][]): Promise<void> {
    for (const order of orders) {
      this.report.orders[order.lifecycle]++;
      this.report.orders.total++;
      this.report.expected.keapOrders += order.expectedKeapOrders;
      this.report.expected.payments += order.paidPaymentIds.length;
      const money = (this.report.currencies[order.currency] ??= { orders: 0, charged: 0, inKeap: 0 });
      money.orders++;
      if (order.late) this.report.late[order.late].orders++;
    }
    const total = lanes.reduce((n, lane) => n + lane.length, 0);
    let workerKills = 0;
    let apiKills = 0;
    const schedule = [
      ...this.options.workerKillsAt.map((at) => ({
        at,
        kind: 'worker',
        crash: () => this.kill('worker', workerKills++),
      })),
      ...this.options.apiKillsAt.map((at) => ({ at, kind: 'api', crash: () => this.kill('api', apiKills++) })),
      ...this.options.serverRestartsAt.map((at) => ({ at, kind: 'temporal', crash: () => this.restartServer() })),
      ...this.options.databaseRestartsAt.map((at) => ({ at, kind: 'database', crash: () => this.restartDatabase() })),
    ].sort((a, b) => a.at - b.at);
    let done = 0;
    let next = 0;
    let started = 0;
    const t0 = Date.now();
    const spacingMs = (this.options.trafficSeconds * 1000) / Math.max(1, total);
    // The orders that take longest after their deliveries go first: the long plan, then those whose
    // workflow is deleted (Temporal takes half a minute or more to delete), then the other late ones.
    const rank = (o: ChaosOrder) => (o.role === 'long-plan' ? 0 : o.deleted ? 1 : o.late ? 2 : 3);
    const queue = [...lanes.keys()].sort((a, b) => rank(orders[a] as ChaosOrder) - rank(orders[b] as ChaosOrder));
    const lane = async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const deliveries = lanes[i] as Delivery[];
        if (deliveries[0]?.kind !== 'order') this.report.deliveries.outOfOrder++;
        for (const delivery of deliveries) {
          // The k-th delivery of the run starts no earlier than its place in the spread.
          const wait = t0 + started++ * spacingMs - Date.now();
          if (wait > 0) await sleep(wait);
          await this.deliver(delivery);
          done++;
          while (next < schedule.length && done / total >= (schedule[next]?.at ?? 1)) {
            const { kind, crash } = schedule[next++] as (typeof schedule)[number];
            this.crashChains.set(kind, (this.crashChains.get(kind) ?? Promise.resolve()).then(crash));
          }
        }
        const steps = late[i] ?? [];
        if (steps.length > 0) this.lateTasks.push(this.runLate(orders[i] as ChaosOrder, steps));
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, lane));
    this.log(`${done} deliveries sent (${this.report.deliveries.redeliveries} redeliveries)`);
  }

  /** One delivery, retried like Stripe (and a checkout platform) would until it is accepted. */
  private async deliver(delivery: Delivery): Promise<void> {
    this.report.deliveries.sent++;
    if (delivery.duplicate) this.report.deliveries.redeliveries++;
    const res =
      delivery.kind === 'order'
        ? await this.send('order', delivery.orderId, (api) => this.postOrder(api, delivery.accountId, delivery.body))
        : await this.send('webhook', delivery.orderId, (api) => this.postWebhook(api, delivery.event));
    if (res.status !== 200 && res.status !== 202) {
      this.report.violations.push(
        `${delivery.kind} for ${delivery.orderId} refused: ${res.status} ${res.text.slice(0, 200)}`,
      );
    }
  }

  /**
   * Sends until accepted or refused for good: a network error, 429 or 5xx (an API process killed or
   * restarting, Temporal or the database down) is retried with backoff, each time through the next API.
   */
  private async send(what: string, orderId: string, request: (apiUrl: string) => Promise<globalThis.Response>) {
    const deadline = Date.now() + 5 * 60_000;
    const first = this.sendSeq++;
    for (let attempt = 0; ; attempt++) {
      let status = 0;
      let text = '';
      try {
        const res = await request(this.apiUrl(first + attempt));
        status = res.status;
        text = await res.text();
      } catch (error) {
        text = error instanceof Error ? error.message : String(error);
      }
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable || Date.now() > deadline) {
        if (retryable)
          this.log(`${what} for ${orderId} gave up after ${attempt + 1} tries: ${status} ${text.slice(0, 120)}`);
        return { status, text } satisfies SendResult;
      }
      this.report.deliveries.retriedWhileDown++;
      const on = this.report.deliveries.retriedOn;
      on[status] = (on[status] ?? 0) + 1;
      await sleep(Math.min(250 * 2 ** attempt, 5_000));
    }
  }

  private postOrder(apiUrl: string, accountId: string, body: object): Promise<globalThis.Response> {
    return fetch(`${apiUrl}/v1/accounts/${accountId}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  }

  private postWebhook(apiUrl: string, event: object): Promise<globalThis.Response> {
    // Stripe signs each delivery afresh (a new timestamp), redeliveries included.
    const { body, signature } = signEvent(event, WEBHOOK_SECRET);
    return fetch(`${apiUrl}/v1/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  }

  // ---- Late traffic ---------------------------------------------------------------------------

  private note(orderId: string, line: string): void {
    this.lateNotes.set(orderId, [...(this.lateNotes.get(orderId) ?? []), line]);
    this.log(`late: ${orderId} ${line}`);
  }

  /** An order's late steps, in turn; a step that cannot complete is a violation and ends them. */
  private async runLate(order: ChaosOrder, steps: LateStep[]): Promise<void> {
    try {
      for (const step of steps) {
        switch (step.kind) {
          case 'await':
            await this.awaitState(order, step);
            break;
          case 'webhook': {
            const res = await this.send(`late ${step.label}`, order.orderId, (api) =>
              this.postWebhook(api, step.event),
            );
            this.note(order.orderId, `${step.label} → ${res.status} ${res.text.slice(0, 160)}`);
            if (res.status !== 200) {
              this.troubled.add(order.orderId);
              this.report.violations.push(`late ${step.label} for ${order.orderId} refused: ${res.status} ${res.text}`);
            }
            break;
          }
          case 'delete':
            await this.deleteWorkflow(order);
            break;
          case 'repost':
            await this.repost(order, step.body);
            break;
        }
      }
    } catch (error) {
      this.stuck.add(order.orderId);
      this.report.violations.push(
        `late (${order.late}) ${order.orderId}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Until the lifecycle shows the status and payments; with `closed`, until the workflow has also ended. */
  private async awaitState(order: ChaosOrder, step: Extract<LateStep, { kind: 'await' }>): Promise<void> {
    const deadline = Date.now() + this.options.settleTimeoutMs;
    let last = 'no lifecycle';
    while (Date.now() < deadline) {
      const lifecycle = await this.lifecycle(order);
      if (lifecycle) {
        const paid = order.lifecycle === 'subscription' ? (lifecycle.cycles ?? 0) : lifecycle.payments.length;
        last = `${lifecycle.status} with ${paid} payments`;
        if (lifecycle.status === step.status && paid === step.payments) {
          // A run opened again for an event after the close (a redelivery in the order's own traffic)
          // shows the order closed before.
          if (!step.closed || (lifecycle.reopenings ?? 0) > 0) return;
          const status = await this.workflowStatus(order);
          last += `, workflow ${status}`;
          if (status !== undefined && CLOSED_STATUSES.has(status)) return;
        }
      }
      await sleep(1_000);
    }
    throw new Error(
      `never ${step.closed ? 'closed as' : 'reached'} ${step.status} with ${step.payments} payments (last: ${last})`,
    );
  }

  /** The workflow's execution status, or undefined when Temporal has no such workflow. */
  private async workflowStatus(order: ChaosOrder): Promise<string | undefined> {
    return this.withTemporal(async (client) => {
      try {
        const { status } = await client.workflow.getHandle(orderWorkflowId(order.accountId, order.orderId)).describe();
        return status.name;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      }
    });
  }

  /** Temporal calls of the harness itself, retried through a server restart. */
  private async withTemporal<T>(call: (client: Client) => Promise<T>): Promise<T> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        return await call((this.temporal as { client: Client }).client);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(1_000);
      }
    }
  }

  /** What Temporal's retention does to a closed workflow: its history deleted (the dev server takes a while). */
  private async deleteWorkflow(order: ChaosOrder): Promise<void> {
    const workflowId = orderWorkflowId(order.accountId, order.orderId);
    const runId = await this.withTemporal(
      async (client) => (await client.workflow.getHandle(workflowId).describe()).runId,
    );
    const ask = () =>
      this.withTemporal((client) =>
        client.workflowService.deleteWorkflowExecution({
          namespace: NAMESPACE,
          workflowExecution: { workflowId, runId },
        }),
      );
    await ask();
    const asked = Date.now();
    let lastAsked = asked;
    let asks = 1;
    this.deleted.add(order.orderId);
    while ((await this.workflowStatus(order)) !== undefined) {
      // The dev server deletes in about 30 s when idle. A deletion pending across its restart took up to
      // 6 minutes, or never came (seed 20261206, twice): asked again every 90 s, as deleting is idempotent.
      if (Date.now() - asked > 480_000) {
        throw new Error(`workflow ${workflowId} still there 8 min after its deletion (asked ${asks} times)`);
      }
      if (Date.now() - lastAsked > 90_000) {
        await ask();
        lastAsked = Date.now();
        asks++;
      }
      await sleep(1_000);
    }
    const seconds = Math.round((Date.now() - asked) / 1000);
    this.report.retention.deleted++;
    this.report.retention.secondsToGone.push(seconds);
    this.note(order.orderId, `workflow deleted; gone after ${seconds} s${asks > 1 ? ` (asked ${asks} times)` : ''}`);
  }

  /** The same order posted again after its history is gone: a duplicate, which starts nothing. */
  private async repost(order: ChaosOrder, body: object): Promise<void> {
    this.report.retention.reposted++;
    const res = await this.send('repost', order.orderId, (api) => this.postOrder(api, order.accountId, body));
    let duplicate: unknown;
    try {
      duplicate = (JSON.parse(res.text) as { duplicate?: unknown }).duplicate;
    } catch {
      duplicate = undefined;
    }
    this.note(order.orderId, `repost after deletion → ${res.status} ${res.text.slice(0, 160)}`);
    if (res.status !== 202 || duplicate !== true) {
      this.troubled.add(order.orderId);
      this.report.violations.push(
        `retention: ${order.orderId} posted again after its workflow was deleted → ${res.status} ${res.text.slice(0, 200)}, expected 202 duplicate`,
      );
      return;
    }
    const status = await this.workflowStatus(order);
    if (status !== undefined) {
      this.troubled.add(order.orderId);
      this.report.violations.push(
        `retention: the repeat post of ${order.orderId} started its workflow again (${status})`,
      );
      return;
    }
    this.report.retention.repostedDuplicate++;
  }

  // ---- Faults ---------------------------------------------------------------------------------

  /** SIGKILL, as the OOM killer or a lost host would: no shutdown hooks, in-flight work cut off. */
  private async kill(which: 'worker' | 'api', count: number): Promise<void> {
    const list = which === 'worker' ? this.processes.workers : this.processes.apis;
    const index = count % list.length;
    const child = list[index] as Child;
    this.log(`SIGKILL ${child.name} (pid ${child.pid})`);
    const exited = new Promise((resolve) => child.process.once('exit', resolve));
    this.expectedExits.add(child.pid);
    child.process.kill('SIGKILL');
    await exited;
    await sleep(1_000);
    list[index] = await (which === 'worker' ? this.spawnWorker(index) : this.spawnApi(index));
    this.report.crashes[which === 'worker' ? 'workerKills' : 'apiKills']++;
    this.log(`${child.name} restarted (pid ${list[index].pid})`);
  }

  private async restartServer(): Promise<void> {
    this.log('stopping the Temporal dev server');
    await this.processes.server.stop();
    const size = (await stat(this.serverOptions.dbFile)).size;
    await sleep(2_000);
    // The harness's own connection reconnects by itself (closing it would cut its calls' retries).
    this.processes.server = await startDevServer(this.serverOptions);
    this.report.crashes.serverRestarts++;
    this.log(`Temporal dev server restarted on its database (${(size / 2 ** 20).toFixed(1)} MiB)`);
  }

  /** PostgreSQL stopped (fast shutdown: sessions cut) and started again on the same folder and port. */
  private async restartDatabase(): Promise<void> {
    this.log('stopping PostgreSQL');
    await this.processes.postgres.stop();
    await sleep(3_000);
    this.processes.postgres = await this.startPostgres();
    this.report.crashes.databaseRestarts++;
    this.log('PostgreSQL restarted on its data folder');
  }

  // ---- Settling and the checks ----------------------------------------------------------------

  /** Why an order has not reached its end state yet, or undefined once it has. */
  private pending(order: ChaosOrder, lifecycle: LifecycleView | undefined): string | undefined {
    const refunds = order.refunds ?? [];
    if (this.deleted.has(order.orderId)) {
      // Checked before its deletion; what came after is read from Keap, and its late refund from the new run.
      if (refunds.length === 0 && !order.late?.startsWith('final-invoice')) return undefined;
      if (!lifecycle) return 'deleted, and no run came for its late event';
    } else if (!lifecycle) {
      return 'no lifecycle';
    }
    const l = lifecycle;
    const state = `${l.status}${l.statusReason ? ` (${l.statusReason})` : ''}`;
    if (!this.deleted.has(order.orderId)) {
      const paid = order.lifecycle === 'subscription' ? l.cycles : l.payments.length;
      if (l.status !== order.expectedStatus || paid !== order.paidPaymentIds.length) {
        return `${state}, ${paid} payments; expected ${order.expectedStatus}, ${order.paidPaymentIds.length}`;
      }
    } else if (order.late?.startsWith('final-invoice')) {
      const id = order.paidPaymentIds.at(-1) as string;
      if (!l.payments.some((p) => p.id === id)) return `${state}; its final invoice ${id} not recorded`;
    }
    for (const refund of refunds) {
      const found = (l.refunds ?? []).filter((r) => r.id === refund.id);
      if (found.length !== 1 || found[0]?.amount !== refund.amount) {
        return `${state}; refund ${refund.id} (${refund.amount}) ${found.length === 0 ? 'not in its lifecycle' : `listed as ${JSON.stringify(found)}`}`;
      }
    }
    return undefined;
  }

  /** Waits until every order shows the status, payments and refunds it must end with. */
  private async settle(orders: ChaosOrder[]): Promise<void> {
    const settled = new Set<string>([...this.stuck]);
    const deadline = Date.now() + this.options.settleTimeoutMs;
    const last = new Map<string, string>();
    while (settled.size < orders.length && Date.now() < deadline) {
      const open = orders.filter((o) => !settled.has(o.orderId));
      await Promise.all(
        open.map(async (order) => {
          const lifecycle = await this.lifecycle(order);
          const why = this.pending(order, lifecycle);
          if (why === undefined) settled.add(order.orderId);
          else last.set(order.orderId, why);
        }),
      );
      if (settled.size < orders.length) await sleep(2_000);
    }
    for (const order of orders) {
      if (settled.has(order.orderId) && !this.stuck.has(order.orderId)) continue;
      this.report.stuck++;
      this.stuck.add(order.orderId);
      const why = last.get(order.orderId) ?? 'stopped in its late steps (above)';
      if (why.startsWith('NeedsAttention')) this.report.needsAttention++;
      // A refund Stripe reported that no lifecycle shows is an event lost (Keap has no refund to check).
      if (why.includes('refund') && why.includes('not in its lifecycle')) this.report.lost++;
      const notes = this.lateNotes.get(order.orderId);
      this.report.violations.push(
        `stuck: ${order.orderId} (${order.lifecycle}${order.late ? `, ${order.late}` : ''}) is ${why}${notes ? `; late traffic: ${notes.join('; ')}` : ''}`,
      );
    }
    this.log(`${orders.length - this.report.stuck}/${orders.length} orders settled`);
  }

  private async lifecycle(order: ChaosOrder): Promise<LifecycleView | undefined> {
    try {
      const res = await fetch(`${this.apiUrl(this.sendSeq++)}/v1/accounts/${order.accountId}/orders/${order.orderId}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: AbortSignal.timeout(15_000),
      });
      return res.ok ? ((await res.json()) as LifecycleView) : undefined;
    } catch {
      return undefined;
    }
  }

  private async keap<T>(sandbox: KeapSandbox, path: string): Promise<T> {
    const res = await fetch(`${sandbox.url}/rest/v2${path}`, { headers: { 'X-Keap-API-Key': sandbox.apiKey } });
    if (!res.ok) throw new Error(`Keap GET ${path} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  private async keapList<T>(sandbox: KeapSandbox, path: string, key: string): Promise<T[]> {
    const all: T[] = [];
    let token = '';
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page = await this.keap<Record<string, unknown>>(
        sandbox,
        `${path}${sep}page_size=1000${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
      );
      all.push(...((page[key] as T[] | undefined) ?? []));
      token = typeof page.next_page_token === 'string' ? page.next_page_token : '';
    } while (token);
    return all;
  }

  /** The invariants, per Keap app, read through Keap's API as a merchant (or a 3PL) would read it. */
  private async checkKeap(orders: ChaosOrder[]): Promise<void> {
    for (const [currency, sandbox] of this.sandboxes) {
      const mine = orders.filter((o) => o.currency === currency);
      const accountId = mine[0]?.accountId;
      if (!accountId) continue;
      const keapOrders = await this.keapList<KeapOrderView>(sandbox, '/orders', 'orders');
      const paymentsByOrder = new Map<string, KeapPaymentView[]>();
      for (const keapOrder of keapOrders) {
        paymentsByOrder.set(
          keapOrder.id,
          await this.keapList<KeapPaymentView>(sandbox, `/orders/${keapOrder.id}/payments`, 'invoice_order_payments'),
        );
      }
      const contacts = await this.keapList<KeapContactView>(sandbox, '/contacts', 'contacts');
      const result = checkInvariants(accountId, mine, { orders: keapOrders, paymentsByOrder, contacts }, currency);
      this.report.found.keapOrders += result.found.keapOrders;
      this.report.found.payments += result.found.payments;
      this.report.found.contacts += result.found.contacts;
      this.report.duplicates += result.duplicates;
      this.report.lost += result.lost;
      this.report.orphaned += result.orphaned;
      this.report.duplicateContacts += result.duplicateContacts;
      this.report.casePairs.pairs += result.casePairs.pairs;
      this.report.casePairs.separate += result.casePairs.separate;
      const money = this.report.currencies[currency] as ChaosReport['currencies'][string];
      money.charged = result.money.charged;
      money.inKeap = result.money.inKeap;
      if (result.money.charged !== result.money.inKeap) this.report.moneyMismatches++;
      this.report.violations.push(...result.violations.map((v) => `${accountId}: ${v}`));
      for (const id of result.troubled) this.troubled.add(id);

      const long = mine.find((o) => o.role === 'long-plan');
      if (long) {
        const keapOrder = keapOrders.find((o) => orderKeyOf(o) === keapOrderKey(accountId, long.orderId));
        const lifecycle = await this.lifecycle(long);
        this.report.longPlan = {
          orderId: long.orderId,
          installments: long.installments ?? 0,
          paid: long.paidPaymentIds.length,
          inKeap: keapOrder ? (paymentsByOrder.get(keapOrder.id) ?? []).length : 0,
          status: lifecycle
            ? `${lifecycle.status} (${lifecycle.installments?.paid ?? '?'} of ${lifecycle.installments?.total ?? '?'})`
            : 'unknown',
        };
      }
    }
    // A late kind came out right for an order that is neither stuck nor named by any violation.
    for (const order of orders) {
      if (order.late && !this.stuck.has(order.orderId) && !this.troubled.has(order.orderId)) {
        this.report.late[order.late].ok++;
      }
    }
  }

  /**
   * Activity retries and failed workflow tasks, from the order workflows' histories; for an order that
   * did not settle, what it is waiting on (pending activities with their last failure), to debug with.
   */
  private async inspectWorkflows(orders: ChaosOrder[]): Promise<void> {
    const client = (this.temporal as { client: Client }).client;
    for (const order of orders) {
      const handle = client.workflow.getHandle(orderWorkflowId(order.accountId, order.orderId));
      let history;
      try {
        history = await handle.fetchHistory();
      } catch (error) {
        // fetchHistory answers a deleted workflow with the bare gRPC NOT_FOUND (code 5).
        if (error instanceof WorkflowNotFoundError || (error as { code?: unknown }).code === 5) {
          if (this.stuck.has(order.orderId)) this.report.diagnostics.push(`${order.orderId}: no workflow (deleted)`);
          continue;
        }
        throw error;
      }
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
  }
}

export function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  return new ChaosRun(options).run();
}

const LATE_LABELS: Record<LateKind, string> = {
  'refund-after-close': 'refunds of paid one-time orders',
  'redelivery-after-close': 'redeliveries after the close',
  'final-invoice-after-cancel': 'final invoices after the cancellation',
  'deleted-reposted': 'deleted, then posted again',
  'refund-after-deletion': 'deleted, posted again, then refunded',
  'final-invoice-after-deletion': 'cancelled, deleted, then the final invoice',
};

/** The figures table the suite prints. */
export function formatReport(r: ChaosReport): string {
  const modes = Object.entries(r.keap.faultsByMode)
    .filter(([, n]) => n > 0)
    .map(([mode, n]) => `${mode} ${n}`)
    .join(', ');
  const crashes = r.crashes.workerKills + r.crashes.apiKills + r.crashes.serverRestarts + r.crashes.databaseRestarts;
  const gone = r.retention.secondsToGone;
  const rows: [string, string][] = [
    ['seed', String(r.seed)],
    ['processes', `${r.processes.workers} workers, ${r.processes.apis} APIs (one PostgreSQL, one Temporal server)`],
    [
      'orders',
      `${r.orders.total} (${r.orders.one_time} one-time, ${r.orders.payment_plan} plans, ${r.orders.subscription} subscriptions)`,
    ],
    [
      'orders per currency',
      Object.entries(r.currencies)
        .map(([c, m]) => `${c} ${m.orders}`)
        .join(', '),
    ],
    [
      'deliveries',
      `${r.deliveries.sent} (${r.deliveries.redeliveries} redelivered, ${r.deliveries.outOfOrder} orders with a payment before the order POST)`,
    ],
    [
      'deliveries retried (API, Temporal or database down)',
      `${r.deliveries.retriedWhileDown} (${
        Object.entries(r.deliveries.retriedOn)
          .map(([status, n]) => `${status === '0' ? 'no answer' : status} ${n}`)
          .join(', ') || 'none'
      })`,
    ],
    [
      'late events (orders: as they must be / given)',
      LATE_KINDS.filter((k) => r.late[k].orders > 0)
        .map((k) => `${LATE_LABELS[k]} ${r.late[k].ok}/${r.late[k].orders}`)
        .join(', '),
    ],
    [
      'closed workflows deleted (retention)',
      `${r.retention.deleted} (gone after ${gone.length ? `${Math.min(...gone)}–${Math.max(...gone)}` : '–'} s); posted again: ${r.retention.repostedDuplicate}/${r.retention.reposted} answered 202 duplicate, nothing started`,
    ],
    [
      'ids differing only in case',
      `${r.casePairs.pairs} pairs, ${r.casePairs.separate} with their own Keap orders and payments`,
    ],
    [
      'long plan',
      r.longPlan
        ? `${r.longPlan.orderId}: ${r.longPlan.paid} of ${r.longPlan.installments} installments paid, ${r.longPlan.inKeap} payments on its Keap order, ${r.longPlan.status}`
        : 'none',
    ],
    ['Keap calls', String(r.keap.calls)],
    ['faults injected', `${r.keap.faults} (${modes || 'none'})`],
    ['activity retries', String(r.temporal.activityRetries)],
    ['workflow tasks failed or timed out', String(r.temporal.workflowTaskFailures)],
    [
      'crashes survived',
      `${crashes} (worker SIGKILL ${r.crashes.workerKills}, API SIGKILL ${r.crashes.apiKills}, Temporal server restart ${r.crashes.serverRestarts}, database restart ${r.crashes.databaseRestarts})`,
    ],
    ['Keap orders expected / found', `${r.expected.keapOrders} / ${r.found.keapOrders}`],
    ['payments expected / found', `${r.expected.payments} / ${r.found.payments}`],
    [
      'money charged / in Keap',
      Object.entries(r.currencies)
        .map(
          ([c, m]) =>
            `${formatMoney(m.charged, c)} / ${formatMoney(m.inKeap, c)}${m.charged === m.inKeap ? '' : ' ❌'}`,
        )
        .join('; '),
    ],
    ['duplicates found (must be 0)', String(r.duplicates)],
    ['lost (must be 0)', String(r.lost)],
    ['stuck (must be 0)', String(r.stuck)],
    ['orphaned (must be 0)', String(r.orphaned)],
    ['currencies where money differs (must be 0)', String(r.moneyMismatches)],
    ['duplicate contacts', String(r.duplicateContacts)],
    ['duration', `${r.durationSeconds} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`).join('\n');
}
