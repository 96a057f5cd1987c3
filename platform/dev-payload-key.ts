import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePayloadKeys } from './payload-codec';
import type { PayloadKey } from './payload-codec';

/**
 * `npm start` without SALES_SYNC_PAYLOAD_KEYS: a key generated once and kept in the data folder
 * (mode 0600) beside the Temporal database, so a restart still decrypts what it wrote.
 */
export function loadOrCreateDevPayloadKeys(dataDir: string): PayloadKey[] {
  const file = join(dataDir, 'payload-keys');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `dev1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  return parsePayloadKeys(readFileSync(file, 'utf8').trim());
}
