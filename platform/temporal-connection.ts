/**
 * Connection options for the Temporal client and worker, from config: a local dev server by
 * default, or TEMPORAL_ADDRESS with mTLS or an API key for Temporal Cloud and other clusters.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from './config';

interface CommonOptions {
  address: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverNameOverride?: string } | boolean;
  apiKey?: string;
}

export function temporalAddress(config: TemporalConfig): string {
  return config.address ?? `127.0.0.1:${config.devServer.port}`;
}

function commonOptions(config: TemporalConfig): CommonOptions {
  const tls = config.tls;
  return {
    address: temporalAddress(config),
    apiKey: config.apiKey,
    tls: tls
      ? {
          serverNameOverride: tls.serverName,
          clientCertPair:
            tls.certPath && tls.keyPath
              ? { crt: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) }
              : undefined,
        }
      : undefined,
  };
}

export async function connectClient(config: TemporalConfig, dataConverter?: DataConverter): Promise<Client> {
  const connection = await Connection.connect(commonOptions(config));
  return new Client({ connection, namespace: config.namespace, dataConverter });
}

export function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(commonOptions(config));
}
