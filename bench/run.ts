/**
 * `npm run bench`: starts the whole of Sales Sync (Temporal dev server from the pinned binary with a
 * temp --db-filename, Keap sandbox with latency, the real worker and API as child processes) and
 * measures, in one run, against the ceiling of the same machine: see BENCHMARKS.md.
 * Flags: --quick (small sizes), --keap-latency=MS, --scale=N (open subscriptions), --out=DIR,
 * --shared-backlog=N,M (backlogs of one-time orders posted at once to 3 workers on one 10/s Keap key),
 * --only=cost,orders,... (run only these sections: ceiling, orders, webhooks, cost, quota, shared-quota,
 * scale; orders implies ceiling). A partial run prints its results and writes neither BENCHMARKS.md nor bench/results
 * (only --out=DIR/partial.json when --out is given), so it never stands for a full run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { mkdtemp, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { parse } from 'yaml';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { startEmbeddedPostgres } from '../platform/embedded-postgres';
import { temporalCliPath } from '../platform/temporal-binaries';
import { orderWorkflowId } from '../orders/workflow/definitions';
import { startKeapSandbox } from '../keap-sandbox';
import type { KeapSandbox, SandboxExchange } from '../keap-sandbox';
import { SALES_SYNC_SEARCH_ATTRIBUTES } from '../workflows/support/search-attributes';
import { invoicePaid, signEvent } from '../scripts/stripe-events';
import { oneTimeOrder, SANDBOX_KEY } from '../test/support/fixtures';
import { installTestRuntime } from '../test/support/runtime';
import { ACTION_RULES, actionsOfWorkflow } from './actions';
import type { ActionCount } from './actions';
import { CEILING_TASK_QUEUE } from './ceiling-worker';
import { freePort, ROOT, rssMiB, spawnTs } from './processes';
import type { Child } from './processes';
import { percentile, pool, round, sleep, until } from './stats';
import { renderChart } from './chart';
import { writeReport } from './report';
import type { BenchReport } from './report-types';

const TOKEN = 'bench-token-0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_bench_0123456789abcdef';
const TASK_QUEUE = 'sales-sync-bench';

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (!hit) return undefined;
  return hit.includes('=') ? hit.slice(hit.indexOf('=') + 1) : 'true';
}

const quick = flag('quick') === 'true' || process.env.BENCH_QUICK === '1';
const SECTIONS = ['ceiling', 'orders', 'webhooks', 'cost', 'quota', 'shared-quota', 'scale'] as const;
type Section = (typeof SECTIONS)[number];
const only = flag('only')
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const name of only ?? []) {
  if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section ${name}`);
}
// The orders' ratio to the ceiling needs the ceiling measured on the same stack.
const selected = new Set<Section>(
  only ? [...(only as Section[]), ...(only.includes('orders') ? ['ceiling' as const] : [])] : SECTIONS,
);
const runs = (section: Section) => selected.has(section);
const num = (name: string, full: number, small: number) => Number(flag(name) ?? (quick ? small : full));
const config = {
  quick,
  keapLatencyMs: num('keap-latency', 20, 20),
  // Full sizes keep the whole run near 11 minutes on 2 cores (the 10,000 subscriptions take about half).
  ceilingWorkflows: num('ceiling', 2000, 600),
  orders: num('orders', 1500, 300),
  orderConnections: num('connections', 32, 32),
  webhookRate: num('webhook-rate', 100, 100),
  webhookSeconds: num('webhook-seconds', 20, 8),
  scaleTotal: num('scale', 10_000, 1_500),
  scaleMid: num('scale-mid', 1_000, 300),
  quotaRate: num('quota-rate', 3, 3),
  quotaSeconds: num('quota-seconds', 45, 20),
  quotaLimitPerSecond: 10,
  // 3 worker processes on one Keap key; each backlog is posted at once (the quota's minimum to drain it: orders × 4
  // calls ÷ 10/s): 60 orders drain in 24 s, within an activity's 45 s timeout; 150 need 60 s (issue 16).
  sharedWorkers: num('shared-workers', 3, 3),
  sharedBacklogs: (flag('shared-backlog') ?? '60,150').split(',').map((n) => {
    if (!/^[1-9]\d*$/.test(n.trim())) throw new Error(`--shared-backlog: ${n} is not a number of orders`);
    return Number(n);
  }),
  only: only ? [...selected] : undefined,
  workerNodeOptions: composeWorkerNodeOptions().NODE_OPTIONS,
  outDir: flag('out') ?? join(ROOT, 'bench', 'results'),
  // The Temporal database's directory. Default /dev/shm (tmpfs) where it exists: this VM's disk fsyncs in ~2.6 ms,
  // which alone holds a file-backed dev server to ~12 workflows/s (see BENCHMARKS.md); --db-dir=/tmp measures that.
  dbDir: flag('db-dir') ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir()),
};

const log = (msg: string) => console.log(`[bench +${round(performance.now() / 1000, 1)}s] ${msg}`);
const PAYMENT_MARKER = /\[sales-sync payment ([^\]\s]+)\]/;

/** Records, per Stripe/checkout payment id, when Keap (the sandbox) accepted its payment, and every exchange. */
class KeapWatch {
  readonly paidAt = new Map<string, number>();
  readonly exchanges: { at: number; op: string; status: number }[] = [];
  lastAt = 0;
  constructor(sandbox: KeapSandbox) {
    sandbox.onExchange((ex: SandboxExchange) => {
      const at = performance.now();
      this.lastAt = at;
      this.exchanges.push({ at, op: ex.operationId ?? `(${ex.status})`, status: ex.status });
      if (ex.operationId === 'createPaymentForAnOrder' && ex.status >= 200 && ex.status < 300) {
        const notes = (ex.requestBody as { notes?: unknown } | undefined)?.notes;
        const id = typeof notes === 'string' ? PAYMENT_MARKER.exec(notes)?.[1] : undefined;
        if (id) this.paidAt.set(id, at);
      }
    });
  }
  async quiet(ms = 1500, timeoutMs = 60_000) {
    await until(() => performance.now() - this.lastAt > ms, timeoutMs, 100);
  }
  opsSince(index: number): Record<string, number> {
    const ops: Record<string, number> = {};
    for (const ex of this.exchanges.slice(index)) ops[ex.op] = (ops[ex.op] ?? 0) + 1;
    return ops;
  }
}

async function waitPaid(watch: KeapWatch, ids: readonly string[], timeoutMs: number): Promise<number> {
  await until(() => ids.every((id) => watch.paidAt.has(id)), timeoutMs, 100);
  return ids.filter((id) => watch.paidAt.has(id)).length;
}

function latencySummary(values: number[]) {
  return {
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    p99: round(percentile(values, 99)),
    max: round(Math.max(...values)),
  };
}

async function dbSizeMiB(file: string): Promise<number> {
  let bytes = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    bytes += await stat(file + suffix).then(
      (s) => s.size,
      () => 0,
    );
  }
  return round(bytes / 1024 / 1024, 1);
}

/** The worker's NODE_OPTIONS (its V8 heap limit) as docker-compose.yml runs it, so the bench measures that worker. */
function composeWorkerNodeOptions(): { NODE_OPTIONS?: string } {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services?: { worker?: { environment?: Record<string, string> } };
  };
  const nodeOptions = compose.services?.worker?.environment?.NODE_OPTIONS;
  return nodeOptions ? { NODE_OPTIONS: nodeOptions } : {};
}

function planOrder(orderId: string, installments: number) {
  const base = oneTimeOrder({ orderId, sku: 'PLAN-COURSE' });
  return {
    ...base,
    items: [{ sku: 'PLAN-COURSE', name: 'Course', quantity: 1, unitAmount: installments * 1000 }],
    plan: { type: 'payment_plan', installments, installmentAmount: 1000, interval: 'month', intervalCount: 1 },
    payment: { id: `in_${orderId}_1`, amount: 1000, paidAt: new Date().toISOString() },
  };
}

function subscriptionOrder(orderId: string) {
  const base = oneTimeOrder({ orderId, sku: 'SUB-BOX' });
  return {
    ...base,
    items: [{ sku: 'SUB-BOX', name: 'Monthly box', quantity: 1, unitAmount: 2500 }],
    plan: { type: 'subscription', amount: 2500, interval: 'month', intervalCount: 1 },
    payment: { id: `in_${orderId}_1`, amount: 2500, paidAt: new Date().toISOString() },
  };
}

async function main(): Promise<void> {
  const wall = performance.now();
  const loadAtStart = loadavg().map((l) => round(l, 2));
  installTestRuntime();
  const tmp = await mkdtemp(join(config.dbDir, 'sales-sync-bench-'));
  const dbFile = join(tmp, 'temporal.db');
  const runTag = Date.now().toString(36);
  log(`config ${JSON.stringify(config)}; temp dir ${tmp}`);

  // The PostgreSQL the worker and the API share, as npm start runs it.
  const postgres = await startEmbeddedPostgres({ dir: join(tmp, 'postgres'), port: await freePort() });
  await postgres.createDatabase('sales_sync');
  const [env, sandbox, quotaSandbox, sharedSandbox] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalCliPath() },
        ip: '127.0.0.1',
        searchAttributes: SALES_SYNC_SEARCH_ATTRIBUTES,
        dbFilename: dbFile,
      },
    }),
    startKeapSandbox({ port: 0, latencyMs: config.keapLatencyMs }),
    startKeapSandbox({ port: 0, latencyMs: config.keapLatencyMs, throttle: `${config.quotaLimitPerSecond}/s` }),
    // Its own Keap app for the shared-quota section: a fresh limiter row and rate-limit window.
    startKeapSandbox({ port: 0, latencyMs: config.keapLatencyMs, throttle: `${config.quotaLimitPerSecond}/s` }),
  ]);
  const client: Client = env.client;
  const watch = new KeapWatch(sandbox);
  const quotaWatch = new KeapWatch(quotaSandbox);
  const sharedWatch = new KeapWatch(sharedSandbox);
  const apiPort = await freePort();
  const childEnv = {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    SALES_SYNC_DATA_DIR: tmp,
    DATABASE_URL: postgres.url('sales_sync'),
    SALES_SYNC_API_TOKEN: TOKEN,
    SALES_SYNC_PORT: String(apiPort),
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    KEAP_BASE_URL: sandbox.url,
    LOG_LEVEL: 'info',
  };
  const children: Child[] = [];
  const results: Record<string, unknown> = {};
  try {
    const [ceilingWorker, worker, api] = await Promise.all([
      runs('ceiling')
        ? spawnTs(
            'ceiling worker',
            'bench/ceiling-worker.ts',
            { BENCH_TEMPORAL_ADDRESS: env.address },
            /ceiling worker ready/,
          )
        : undefined,
      spawnTs('worker', 'workers/main.ts', { ...childEnv, ...composeWorkerNodeOptions() }, /worker polling/),
      spawnTs('api', 'api/main.ts', childEnv, /API listening/),
    ]);
    children.push(...(ceilingWorker ? [ceilingWorker] : []), worker, api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${apiUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      await res.text();
      return res.status;
    };
    const sendWebhook = async (event: object) => {
      const { body, signature } = signEvent(event, WEBHOOK_SECRET);
      const res = await fetch(`${apiUrl}/v1/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body,
      });
      await res.text();
      return res.status;
    };
    for (const [accountId, extra] of [
      ['bench', {}],
      ['bench-scale', {}],
      ['bench-quota', { keapBaseUrl: quotaSandbox.url }],
      ['bench-shared', { keapBaseUrl: sharedSandbox.url }],
    ] as const) {
      const res = await fetch(`${apiUrl}/v1/accounts/${accountId}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({
          keap: { apiKey: SANDBOX_KEY },
          salesSyncEnabled: true,
          paymentMethodType: 'Stripe',
          ...extra,
        }),
      });
      if (res.status !== 201 && res.status !== 200)
        throw new Error(`account ${accountId}: ${res.status} ${await res.text()}`);
    }
    const workerRssStart = await rssMiB(worker.pid);
    log(`stack up (worker RSS ${workerRssStart} MiB)`);

    // 1. Ceiling ---------------------------------------------------------------------------------
    if (ceilingWorker) {
      const start = (i: number) =>
        client.workflow.start('benchNoopWorkflow', {
          taskQueue: CEILING_TASK_QUEUE,
          workflowId: `ceiling-${runTag}-${i}`,
        });
      const warm = await Promise.all(Array.from({ length: 20 }, (_, i) => start(-1 - i)));
      await Promise.all(warm.map((h) => h.result()));
      const before = (
        await client.workflow.count(`WorkflowType = "benchNoopWorkflow" AND ExecutionStatus = "Completed"`)
      ).count;
      const n = config.ceilingWorkflows;
      const t0 = performance.now();
      let startedAt = 0;
      const starting = pool(n, 64, async (i) => {
        await start(i);
      }).then(() => (startedAt = performance.now()));
      let done = 0;
      await until(
        async () => {
          done =
            (await client.workflow.count(`WorkflowType = "benchNoopWorkflow" AND ExecutionStatus = "Completed"`))
              .count - before;
          return done >= n;
        },
        180_000,
        200,
      );
      await starting;
      const seconds = (performance.now() - t0) / 1000;
      results.ceiling = {
        workflows: n,
        completed: done,
        seconds: round(seconds, 2),
        workflowsPerSecond: round(done / seconds),
        startsPerSecond: round(n / ((startedAt - t0) / 1000)),
        startConcurrency: 64,
      };
      log(`ceiling ${JSON.stringify(results.ceiling)}`);
      await ceilingWorker.stop();
    }
    const ceilingRate = (results.ceiling as { workflowsPerSecond: number } | undefined)?.workflowsPerSecond ?? NaN;

    // 2. One-time orders through the API ------------------------------------------------------------
    if (runs('orders')) {
      const warmIds = Array.from({ length: 20 }, (_, i) => `warm-${runTag}-${i}`);
      await Promise.all(warmIds.map((id) => post('/v1/accounts/bench/orders', oneTimeOrder({ orderId: id }))));
      await waitPaid(
        watch,
        warmIds.map((id) => `pi_${id}`),
        60_000,
      );
      await watch.quiet(1000);
      const sentAt = new Map<string, number>();
      let seq = 0;
      const t0 = performance.now();
      const ac = await autocannon({
        url: apiUrl,
        connections: config.orderConnections,
        amount: config.orders,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/v1/accounts/bench/orders',
            headers,
            setupRequest: (req) => {
              const orderId = `one-${runTag}-${seq++}`;
              sentAt.set(`pi_${orderId}`, performance.now());
              return { ...req, body: JSON.stringify(oneTimeOrder({ orderId })) };
            },
          },
        ],
      });
      const acceptedAt = performance.now();
      const ids = [...sentAt.keys()];
      const paid = await waitPaid(watch, ids, 300_000);
      const latencies = ids.filter((id) => watch.paidAt.has(id)).map((id) => watch.paidAt.get(id)! - sentAt.get(id)!);
      const lastPaid = Math.max(...ids.map((id) => watch.paidAt.get(id) ?? 0));
      const seconds = (lastPaid - t0) / 1000;
      results.orders = {
        orders: ids.length,
        paidInKeap: paid,
        connections: config.orderConnections,
        seconds: round(seconds, 2),
        ordersPerSecond: round(paid / seconds),
        ratioToCeiling: round(paid / seconds / ceilingRate, 3),
        endToEndMs: latencySummary(latencies),
        apiAck: {
          requestsPerSecond: round(ids.length / ((acceptedAt - t0) / 1000)),
          p50: ac.latency.p50,
          p99: ac.latency.p99,
          non2xx: ac.non2xx,
          errors: ac.errors,
        },
      };
      log(`orders ${JSON.stringify(results.orders)}`);
    }

    // 3. Webhook ingestion at a fixed rate ------------------------------------------------------
    if (runs('webhooks')) {
      const total = config.webhookRate * config.webhookSeconds;
      const plans = Math.ceil(total / 10);
      const planIds = Array.from({ length: plans }, (_, i) => `plan-${runTag}-${i}`);
      await pool(plans, 16, async (i) => {
        const status = await post('/v1/accounts/bench/orders', planOrder(planIds[i]!, 12));
        if (status !== 202) throw new Error(`plan order ${status}`);
      });
      await waitPaid(
        watch,
        planIds.map((id) => `in_${id}_1`),
        300_000,
      );
      await watch.quiet(1000);
      // Signed in advance (300 s tolerance) so the sender does nothing but send.
      const events = Array.from({ length: total }, (_, k) => {
        const orderId = planIds[k % plans]!;
        const invoiceId = `in_${orderId}_${Math.floor(k / plans) + 2}`;
        const { body, signature } = signEvent(
          invoicePaid({ accountId: 'bench', orderId }, { invoiceId, amount: 1000 }),
          WEBHOOK_SECRET,
        );
        return { invoiceId, body, signature };
      });
      const sentAt = new Map<string, number>();
      const acks: number[] = [];
      const statuses: Record<string, number> = {};
      const inflight: Promise<void>[] = [];
      const t0 = performance.now();
      const interval = 1000 / config.webhookRate;
      let maxLag = 0;
      for (let k = 0; k < total; k++) {
        const due = t0 + k * interval;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        maxLag = Math.max(maxLag, performance.now() - due);
        const event = events[k]!;
        const sent = performance.now();
        sentAt.set(event.invoiceId, sent);
        inflight.push(
          fetch(`${apiUrl}/v1/webhooks/stripe`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
            body: event.body,
          })
            .then(async (res) => {
              await res.text();
              acks.push(performance.now() - sent);
              statuses[res.status] = (statuses[res.status] ?? 0) + 1;
            })
            .catch(() => {
              statuses.error = (statuses.error ?? 0) + 1;
            }),
        );
      }
      const sendSeconds = (performance.now() - t0) / 1000;
      await Promise.all(inflight);
      const ids = [...sentAt.keys()];
      const recorded = await waitPaid(watch, ids, 300_000);
      const toKeap = ids.filter((id) => watch.paidAt.has(id)).map((id) => watch.paidAt.get(id)! - sentAt.get(id)!);
      const lastRecorded = Math.max(...ids.map((id) => watch.paidAt.get(id) ?? 0));
      results.webhooks = {
        events: total,
        targetPerSecond: config.webhookRate,
        offeredPerSecond: round(total / sendSeconds),
        maxSendLagMs: round(maxLag),
        statuses,
        ackMs: latencySummary(acks),
        recordedInKeap: recorded,
        recordedPerSecond: round(recorded / ((lastRecorded - t0) / 1000)),
        toKeapMs: latencySummary(toKeap),
      };
      log(`webhooks ${JSON.stringify(results.webhooks)}`);
    }

    // 4. Cost per order, per lifecycle --------------------------------------------------------------
    if (runs('cost')) {
      const cost: Record<string, unknown> = {};
      // Per-order cost with every SKU's product already in Keap (a product is written once per SKU, not per
      // order): one paid order per lifecycle first, whatever sections ran before, so a partial run counts alike.
      const warm = [
        oneTimeOrder({ orderId: `cost-warm-one-${runTag}` }),
        planOrder(`cost-warm-plan-${runTag}`, 3),
        subscriptionOrder(`cost-warm-sub-${runTag}`),
      ];
      await Promise.all(warm.map((order) => post('/v1/accounts/bench/orders', order)));
      await waitPaid(
        watch,
        warm.map((order) => order.payment.id),
        60_000,
      );
      const measure = async (
        name: string,
        orderId: string,
        payments: number,
        drive: () => Promise<void>,
      ): Promise<void> => {
        await watch.quiet(1500);
        const from = watch.exchanges.length;
        await drive();
        await watch.quiet(1500);
        const keap = watch.opsSince(from);
        const keapCalls = Object.values(keap).reduce((a, b) => a + b, 0);
        const actions: ActionCount = await actionsOfWorkflow(client, orderWorkflowId('bench', orderId));
        cost[name] = {
          payments,
          keapCalls,
          keapCallsPerPayment: round(keapCalls / payments, 2),
          keapByOperation: keap,
          temporalActions: actions.total,
          temporalActionsPerPayment: round(actions.total / payments, 2),
          actionsByType: actions.byType,
          historyEvents: actions.events,
          runs: actions.runs,
        };
        log(`cost ${name} ${JSON.stringify(cost[name])}`);
      };
      const one = `cost-one-${runTag}`;
      await measure('oneTime', one, 1, async () => {
        await post('/v1/accounts/bench/orders', oneTimeOrder({ orderId: one }));
        await waitPaid(watch, [`pi_${one}`], 30_000);
        await until(
          async () =>
            (await client.workflow.getHandle(orderWorkflowId('bench', one)).describe()).status.name !== 'RUNNING',
          15_000,
          200,
        );
      });
      const plan = `cost-plan-${runTag}`;
      await measure('plan3', plan, 3, async () => {
        await post('/v1/accounts/bench/orders', planOrder(plan, 3));
        await waitPaid(watch, [`in_${plan}_1`], 30_000);
        for (const n of [2, 3]) {
          await sendWebhook(
            invoicePaid({ accountId: 'bench', orderId: plan }, { invoiceId: `in_${plan}_${n}`, amount: 1000 }),
          );
          await waitPaid(watch, [`in_${plan}_${n}`], 30_000);
        }
        await until(
          async () =>
            (await client.workflow.getHandle(orderWorkflowId('bench', plan)).describe()).status.name !== 'RUNNING',
          15_000,
          200,
        );
      });
      const sub = `cost-sub-${runTag}`;
      await measure('subscription12', sub, 12, async () => {
        await post('/v1/accounts/bench/orders', subscriptionOrder(sub));
        await waitPaid(watch, [`in_${sub}_1`], 30_000);
        for (let n = 2; n <= 12; n++) {
          await sendWebhook(
            invoicePaid({ accountId: 'bench', orderId: sub }, { invoiceId: `in_${sub}_${n}`, amount: 2500 }),
          );
          await waitPaid(watch, [`in_${sub}_${n}`], 30_000);
        }
      });
      results.cost = cost;
      results.actionRules = ACTION_RULES;
    }

    // 5. Under a Keap quota -------------------------------------------------------------------------
    if (runs('quota')) {
      const warm = `quota-warm-${runTag}`;
      await post('/v1/accounts/bench-quota/orders', oneTimeOrder({ orderId: warm }));
      await waitPaid(quotaWatch, [`pi_${warm}`], 60_000);
      await quotaWatch.quiet(1500);
      const from = quotaWatch.exchanges.length;
      const total = config.quotaRate * config.quotaSeconds;
      const ids: string[] = [];
      const t0 = performance.now();
      const inflight: Promise<unknown>[] = [];
      for (let k = 0; k < total; k++) {
        const wait = t0 + (k * 1000) / config.quotaRate - performance.now();
        if (wait > 1) await sleep(wait);
        const orderId = `quota-${runTag}-${k}`;
        ids.push(`pi_${orderId}`);
        inflight.push(post('/v1/accounts/bench-quota/orders', oneTimeOrder({ orderId })));
      }
      const tLoadEnd = performance.now();
      await Promise.all(inflight);
      // Steady state: skip the first 5 s (ramp-up), count to the end of the offered load.
      const windowStart = t0 + 5000;
      const inWindow = quotaWatch.exchanges.slice(from).filter((e) => e.at >= windowStart && e.at <= tLoadEnd);
      const windowSeconds = (tLoadEnd - windowStart) / 1000;
      const ok = inWindow.filter((e) => e.status !== 429).length;
      const throttled = inWindow.filter((e) => e.status === 429).length;
      const paid = await waitPaid(quotaWatch, ids, 120_000);
      const all = quotaWatch.exchanges.slice(from);
      results.quota = {
        limitPerSecond: config.quotaLimitPerSecond,
        offeredOrdersPerSecond: config.quotaRate,
        loadSeconds: config.quotaSeconds,
        windowSeconds: round(windowSeconds, 1),
        successfulCallsPerSecond: round(ok / windowSeconds, 2),
        quotaUsed: round(ok / (windowSeconds * config.quotaLimitPerSecond), 3),
        callsInWindow: inWindow.length,
        throttled429InWindow: throttled,
        fraction429InWindow: round(throttled / Math.max(1, inWindow.length), 4),
        callsTotal: all.length,
        throttled429Total: all.filter((e) => e.status === 429).length,
        fraction429Total: round(all.filter((e) => e.status === 429).length / Math.max(1, all.length), 4),
        orders: total,
        paidInKeap: paid,
        sandboxThrottled: quotaSandbox.stats().throttled,
      };
      log(`quota ${JSON.stringify(results.quota)}`);
    }

    // 6. Three worker processes on one Keap key under a 10/s quota ----------------------------------
    if (runs('shared-quota')) {
      // The bench's worker plus two more on the same task queue and database: one Keap key, one shared limiter.
      const extra = await Promise.all(
        Array.from({ length: config.sharedWorkers - 1 }, (_, i) =>
          spawnTs(
            `worker ${i + 2}`,
            'workers/main.ts',
            { ...childEnv, ...composeWorkerNodeOptions() },
            /worker polling/,
          ),
        ),
      );
      children.push(...extra);
      try {
        const account = 'bench-shared';
        // Every SKU's product in Keap first (written once per SKU, not per order), as in the cost section.
        const warm = [
          oneTimeOrder({ orderId: `shared-warm-one-${runTag}` }),
          planOrder(`shared-warm-plan-${runTag}`, 3),
        ];
        await Promise.all(warm.map((order) => post(`/v1/accounts/${account}/orders`, order)));
        await waitPaid(
          sharedWatch,
          warm.map((order) => order.payment.id),
          60_000,
        );
        // Happy-path cost with three workers, each order alone: Keap calls and Temporal Actions.
        const alone = async (orderId: string, payments: string[], drive: () => Promise<void>) => {
          await sharedWatch.quiet(1500);
          const from = sharedWatch.exchanges.length;
          await drive();
          await waitPaid(sharedWatch, payments, 60_000);
          await until(
            async () =>
              (await client.workflow.getHandle(orderWorkflowId(account, orderId)).describe()).status.name !== 'RUNNING',
            15_000,
            200,
          );
          await sharedWatch.quiet(1500);
          const keap = sharedWatch.opsSince(from);
          const actions = await actionsOfWorkflow(client, orderWorkflowId(account, orderId));
          return { keapCalls: Object.values(keap).reduce((a, b) => a + b, 0), keapByOperation: keap, actions };
        };
        const one = `shared-one-${runTag}`;
        const oneTime = await alone(one, [`pi_${one}`], async () => {
          await post(`/v1/accounts/${account}/orders`, oneTimeOrder({ orderId: one }));
        });
        // A 3-installment plan: the first installment is part of the sale; the two after it are the
        // per-installment cost (signal, one Keap call, the next due date's timer or the PaidInFull upsert).
        const plan = `shared-plan-${runTag}`;
        const planIds = [1, 2, 3].map((n) => `in_${plan}_${n}`);
        let firstKeap = 0;
        let firstActions = 0;
        const plan3 = await alone(plan, planIds, async () => {
          const from = sharedWatch.exchanges.length;
          await post(`/v1/accounts/${account}/orders`, planOrder(plan, 3));
          await waitPaid(sharedWatch, planIds.slice(0, 1), 30_000);
          await sharedWatch.quiet(1000);
          firstKeap = sharedWatch.exchanges.length - from;
          firstActions = (await actionsOfWorkflow(client, orderWorkflowId(account, plan))).total;
          for (const n of [2, 3]) {
            await sendWebhook(
              invoicePaid({ accountId: account, orderId: plan }, { invoiceId: `in_${plan}_${n}`, amount: 1000 }),
            );
            await waitPaid(sharedWatch, [`in_${plan}_${n}`], 30_000);
          }
        });

        // Backlogs posted at once (16 POSTs in flight), drained by three workers through one 10/s key: one the
        // quota drains within an activity's start-to-close timeout (45 s), and one that takes longer.
        const backlog = async (size: number, index: number) => {
          await sharedWatch.quiet(2000);
          const from = sharedWatch.exchanges.length;
          const ids = Array.from({ length: size }, (_, i) => `shared-${runTag}-${index}-${i}`);
          const t0 = performance.now();
          const statuses: Record<string, number> = {};
          await pool(ids.length, 16, async (i) => {
            const status = await post(`/v1/accounts/${account}/orders`, oneTimeOrder({ orderId: ids[i]! }));
            statuses[status] = (statuses[status] ?? 0) + 1;
          });
          const postedSeconds = (performance.now() - t0) / 1000;
          const minimumSeconds = (ids.length * oneTime.keapCalls) / config.quotaLimitPerSecond;
          // Twice the quota's minimum (and 10 s): what is not in Keap by then is reported, not waited for.
          const paid = await waitPaid(
            sharedWatch,
            ids.map((id) => `pi_${id}`),
            minimumSeconds * 2000 + 10_000,
          );
          const lastPaid = Math.max(...ids.map((id) => sharedWatch.paidAt.get(`pi_${id}`) ?? 0));
          const windowEnd = paid === ids.length ? lastPaid : performance.now();
          const calls = sharedWatch.exchanges.slice(from).filter((e) => e.at <= windowEnd);
          const windowStart = calls[0]?.at ?? t0;
          const windowSeconds = (windowEnd - windowStart) / 1000;
          const ok = calls.filter((e) => e.status < 400).length;
          const throttled = calls.filter((e) => e.status === 429).length;
          // Successful calls per second in 5-second steps over the drain: a collapse shows as gaps and a sag.
          const steps: number[] = [];
          for (let at = windowStart; at < windowEnd; at += 5000) {
            const seconds = Math.min(5000, windowEnd - at) / 1000;
            const n = calls.filter((e) => e.status < 400 && e.at >= at && e.at < at + 5000).length;
            if (seconds >= 1) steps.push(round(n / seconds, 1));
          }
          // Temporal Actions per order, retries included, once every order is done; the orders still
          // retrying are terminated so they do not hold the bench worker's activity slots in later sections.
          let perOrder: Record<string, number> | undefined;
          if (paid === ids.length) {
            let actions = 0;
            let retries = 0;
            for (const id of ids) {
              const count = await actionsOfWorkflow(client, orderWorkflowId(account, id));
              actions += count.total;
              retries += count.byType['activity retry'] ?? 0;
            }
            perOrder = {
              keapCalls: round(calls.length / ids.length, 2),
              temporalActions: round(actions / ids.length, 2),
              activityRetries: round(retries / ids.length, 2),
            };
          } else {
            await pool(ids.length, 16, async (i) => {
              if (sharedWatch.paidAt.has(`pi_${ids[i]!}`)) return;
              await client.workflow
                .getHandle(orderWorkflowId(account, ids[i]!))
                .terminate('bench: backlog measured')
                .catch(() => undefined);
            });
          }
          const result = {
            orders: ids.length,
            postStatuses: statuses,
            postedSeconds: round(postedSeconds, 1),
            paidInKeap: paid,
            drainSeconds: round((windowEnd - t0) / 1000, 1),
            minimumSeconds: round(minimumSeconds, 1),
            windowSeconds: round(windowSeconds, 1),
            calls: calls.length,
            successfulCalls: ok,
            throttled429: throttled,
            otherErrors: calls.length - ok - throttled,
            successfulCallsPerSecond: round(ok / windowSeconds, 2),
            quotaUsed: round(ok / (windowSeconds * config.quotaLimitPerSecond), 3),
            // The calls that became paid orders: each paid order's calls at the happy path's count.
            goodput: round((paid * oneTime.keapCalls) / (windowSeconds * config.quotaLimitPerSecond), 3),
            fraction429: round(throttled / Math.max(1, calls.length), 4),
            callsPerSecondEvery5s: steps,
            keapByOperation: sharedWatch.opsSince(from),
            ...(perOrder ? { perOrder } : { keapCallsPerPostedOrder: round(calls.length / ids.length, 2) }),
          };
          log(`shared-quota backlog ${JSON.stringify(result)}`);
          return result;
        };
        const backlogs = [];
        for (const [i, size] of config.sharedBacklogs.entries()) backlogs.push(await backlog(size, i));
        const later = (plan3.keapCalls - firstKeap) / 2;
        results.sharedQuota = {
          workers: config.sharedWorkers,
          limitPerSecond: config.quotaLimitPerSecond,
          backlogs,
          oneTime: {
            keapCalls: oneTime.keapCalls,
            keapByOperation: oneTime.keapByOperation,
            temporalActions: oneTime.actions.total,
            actionsByType: oneTime.actions.byType,
          },
          plan3: {
            keapCalls: plan3.keapCalls,
            keapByOperation: plan3.keapByOperation,
            temporalActions: plan3.actions.total,
            actionsByType: plan3.actions.byType,
            keapCallsPerLaterInstallment: round(later, 2),
            temporalActionsPerLaterInstallment: round((plan3.actions.total - firstActions) / 2, 2),
          },
          sandboxThrottled: sharedSandbox.stats().throttled,
        };
        log(`shared-quota ${JSON.stringify(results.sharedQuota)}`);
      } finally {
        for (const w of extra) {
          await w.stop().catch(() => undefined);
          children.splice(children.indexOf(w), 1);
        }
      }
    }

    // 7. Scale of waiting: open subscriptions --------------------------------------------------------
    if (runs('scale')) {
      const rss: { openSubscriptions: number; workerRssMiB: number; dbMiB: number }[] = [];
      rss.push({ openSubscriptions: 0, workerRssMiB: await rssMiB(worker.pid), dbMiB: await dbSizeMiB(dbFile) });
      let created = 0;
      let seq = 0;
      const phases: { upTo: number; startSeconds: number; settleSeconds: number; startedPerSecond: number }[] = [];
      for (const upTo of [config.scaleMid, config.scaleTotal]) {
        const amount = upTo - created;
        const ids: string[] = [];
        const t0 = performance.now();
        await autocannon({
          url: apiUrl,
          connections: 32,
          amount,
          timeout: 60,
          requests: [
            {
              method: 'POST',
              path: '/v1/accounts/bench-scale/orders',
              headers,
              setupRequest: (req) => {
                const orderId = `sub-${runTag}-${seq++}`;
                ids.push(`in_${orderId}_1`);
                return { ...req, body: JSON.stringify(subscriptionOrder(orderId)) };
              },
            },
          ],
        });
        const startSeconds = (performance.now() - t0) / 1000;
        await waitPaid(watch, ids, 600_000);
        const settleSeconds = (performance.now() - t0) / 1000;
        created = upTo;
        await watch.quiet(2000);
        phases.push({
          upTo,
          startSeconds: round(startSeconds, 1),
          settleSeconds: round(settleSeconds, 1),
          startedPerSecond: round(amount / settleSeconds),
        });
        rss.push({ openSubscriptions: upTo, workerRssMiB: await rssMiB(worker.pid), dbMiB: await dbSizeMiB(dbFile) });
        log(`scale ${JSON.stringify(phases.at(-1))} ${JSON.stringify(rss.at(-1))}`);
      }
      const open = (await client.workflow.count(`SalesSyncAccountId = "bench-scale" AND ExecutionStatus = "Running"`))
        .count;
      const atMid = rss.find((r) => r.openSubscriptions === config.scaleMid)!;
      const atTotal = rss.at(-1)!;
      results.scale = {
        openSubscriptions: open,
        phases,
        samples: rss,
        workerRssGrowthMidToTotal: round((atTotal.workerRssMiB - atMid.workerRssMiB) / atMid.workerRssMiB, 3),
        apiRssMiB: await rssMiB(api.pid),
      };
      log(`scale ${JSON.stringify(results.scale)}`);
    }

    if (only) {
      // A partial run: printed (and written under --out only); the committed report stays a full run's.
      const partial = { generatedAt: new Date().toISOString(), config, loadAverage: loadavg(), ...results };
      console.log(JSON.stringify(partial, null, 2));
      if (flag('out')) {
        await mkdir(config.outDir, { recursive: true });
        await writeFile(join(config.outDir, 'partial.json'), JSON.stringify(partial, null, 2) + '\n');
      }
      log(`partial run (${[...selected].join(', ')}) done in ${round((performance.now() - wall) / 1000, 1)} s`);
      return;
    }
    const report = {
      generatedAt: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: round(totalmem() / 1024 ** 3, 1),
        node: process.version,
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: loadavg().map((l) => round(l, 2)),
      },
      config,
      wallSeconds: round((performance.now() - wall) / 1000, 1),
      ...results,
    } as unknown as BenchReport;
    await mkdir(config.outDir, { recursive: true });
    await writeFile(join(config.outDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
    await renderChart(report, join(config.outDir, 'chart.png'));
    await writeReport(report, join(ROOT, flag('out') ? join(config.outDir, 'BENCHMARKS.md') : 'BENCHMARKS.md'));
    log(`done in ${report.wallSeconds} s: ${join(config.outDir, 'latest.json')}`);
  } finally {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    await Promise.all([
      env.teardown(),
      sandbox.close(),
      quotaSandbox.close(),
      sharedSandbox.close(),
      postgres.stop(),
    ]).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
