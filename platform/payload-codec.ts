/**
 * Encrypts every Temporal payload (workflow inputs, signals, updates, results, queries, memo, user
 * metadata, failure details) with AES-256-GCM before it leaves the process, so customer PII and
 * secrets never sit in Temporal history in plain text. Each payload names its key id, so keys
 * rotate: new payloads use the current key, old ones still decrypt with the key they name.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { DataConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface PayloadKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

const text = (value: string) => new TextEncoder().encode(value);
const str = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** Parses `kid1:base64key,kid2:base64key` (the first is current) as configured in SALES_SYNC_PAYLOAD_KEYS. */
export function parsePayloadKeys(spec: string): PayloadKey[] {
  const keys = spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const at = part.indexOf(':');
      const id = part.slice(0, at);
      const key = Buffer.from(part.slice(at + 1), 'base64');
      if (at <= 0 || !/^[A-Za-z0-9_.-]{1,64}$/.test(id))
        throw new Error('payload key ids must be 1-64 of [A-Za-z0-9_.-]');
      if (key.length !== 32) throw new Error(`payload key ${id} must be 32 bytes (base64), got ${key.length}`);
      return { id, key };
    });
  if (keys.length === 0) throw new Error('at least one payload key is required');
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error('payload key ids must be unique');
  return keys;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current: PayloadKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: readonly PayloadKey[]) {
    if (!keys[0]) throw new Error('at least one payload key is required');
    this.current = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  // Async (not Promise.resolve(map(...))): a failure must reject the promise, not throw synchronously.
  async encode(payloads: Payload[]): Promise<Payload[]> {
    await Promise.resolve();
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: text(ENCRYPTED_ENCODING), [KEY_ID]: text(this.current.id) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    await Promise.resolve();
    return payloads.map((payload) => {
      // Payloads written before encryption was on stay readable.
      if (str(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = str(payload.metadata?.[KEY_ID]) ?? '';
      const key = this.byId.get(keyId);
      if (!key) throw new Error(`payload encrypted with unknown key id "${keyId}"`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/**
 * The data converter every client and worker uses: payloads encrypted, and failure messages and
 * stack traces moved into the encrypted attributes (a Keap error message can quote customer data).
 */
export function encryptedDataConverter(keys: readonly PayloadKey[] | undefined): DataConverter | undefined {
  if (!keys) return undefined;
  return {
    payloadCodecs: [new AesGcmPayloadCodec(keys)],
    failureConverterPath: require.resolve('./failure-converter'),
  };
}
