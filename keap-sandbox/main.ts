// CLI: `npm run keap-sandbox -- [--port 8099] [--host 127.0.0.1] [--api-key K]... [--access-token T]...
//   [--throttle 10/s | 240/min,30000/day,spike:10/s | api-key | oauth] [--latency ms] [--currency USD]
//   [--payment-type 'Credit Card (Manual)']... [--state-file data/keap-sandbox.json]
//   [--chaos-seed N] [--chaos-rate P] [--chaos-rates error-5xx=0.05,connection-reset=0.02,...]`
// Prints the base URL and key, then serves until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chaosFromFlags } from './chaos';
import { startKeapSandbox, type KeapSandboxOptions } from './index';

const USAGE = `Usage: keap-sandbox [options]
  --port N            port to listen on (default $KEAP_SANDBOX_PORT or 8099; 0 = any free port)
  --host H            address to bind (default 127.0.0.1)
  --api-key K         accepted X-Keap-API-Key (repeatable; default sandbox-api-key)
  --access-token T    accepted OAuth bearer token (repeatable)
  --throttle SPEC     rate limits: 10/s, 240/min, 30000/day, spike:25/s, comma-separated, or a preset
                      (api-key = 240/min,30000/day,spike:10/s; oauth = 1500/min,150000/day,spike:25/s)
  --latency MS        latency added to every Keap call
  --currency CODE     tenant currency (default USD)
  --payment-type T    a configured Manual Payment Type (repeatable; default Keap's stock types)
  --state-file PATH   keep the data in this JSON file: loaded at start, saved after changes and on exit
  --chaos-seed N      seeded random faults (0 to 4294967295; default a random seed, printed)
  --chaos-rate P      chance of a fault per call, spread evenly over the five fault modes
  --chaos-rates LIST  chance per mode, e.g. error-5xx=0.05,throttle-429=0.05,connection-reset=0.02,
                      commit-then-lose=0.02,latency=0.1 (overrides --chaos-rate for the modes named)
  --help              this text`;

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid --port ${value}`);
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      'access-token': { type: 'string', multiple: true },
      throttle: { type: 'string' },
      latency: { type: 'string' },
      currency: { type: 'string' },
      'payment-type': { type: 'string', multiple: true },
      'state-file': { type: 'string' },
      'chaos-seed': { type: 'string' },
      'chaos-rate': { type: 'string' },
      'chaos-rates': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const latency = values.latency === undefined ? undefined : Number(values.latency);
  if (latency !== undefined && !(latency >= 0)) throw new Error(`Invalid --latency ${values.latency}`);
  const options: KeapSandboxOptions = {
    port: parsePort(values.port ?? process.env.KEAP_SANDBOX_PORT, 8099),
    host: values.host,
    apiKeys: values['api-key'],
    accessTokens: values['access-token'],
    throttle: values.throttle,
    latencyMs: latency,
    currency: values.currency,
    manualPaymentTypes: values['payment-type'],
    stateFile: values['state-file'],
  };
  const chaos = chaosFromFlags({
    seed: values['chaos-seed'],
    rate: values['chaos-rate'],
    rates: values['chaos-rates'],
  });
  const sandbox = await startKeapSandbox(options);
  // POST /__sandbox/reset turns this off too; a harness that resets re-arms chaos with POST /__sandbox/chaos.
  if (chaos) sandbox.chaos.configure(chaos);
  console.log(`Keap sandbox listening: ${sandbox.url}`);
  console.log(`  API key: ${sandbox.apiKey}   (header X-Keap-API-Key)`);
  console.log(`  admin:   ${sandbox.url.replace(/\/crm$/, '')}/__sandbox/`);
  if (options.stateFile !== undefined) console.log(`  state:   ${resolve(options.stateFile)}`);
  if (chaos) console.log(`  chaos:   seed ${chaos.seed}, rates ${JSON.stringify(chaos.rates)}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`Keap sandbox stopping (${signal})`);
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  console.error(USAGE);
  process.exit(2);
});
