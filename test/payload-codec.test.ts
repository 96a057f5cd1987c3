import { strict as assert } from 'node:assert';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, parsePayloadKeys } from '../platform/payload-codec';

const key = (id: string, fill: number) => `${id}:${Buffer.alloc(32, fill).toString('base64')}`;
const payload = (text: string): Payload => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(text),
});
const textOf = (p: Payload | undefined) => Buffer.from(p?.data ?? new Uint8Array()).toString();

describe('payload codec (AES-256-GCM)', () => {
  it('round-trips payloads and leaves no plaintext in what it encodes', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(key('k1', 1)));
    const [encoded] = await codec.encode([payload('{"email":"ada@example.com"}')]);
    assert.equal(Buffer.from(encoded!.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
    assert.equal(Buffer.from(encoded!.metadata!['encryption-key-id']!).toString(), 'k1');
    assert.ok(!Buffer.from(encoded!.data!).toString('latin1').includes('ada@example.com'));
    const [decoded] = await codec.decode([encoded!]);
    assert.equal(textOf(decoded), '{"email":"ada@example.com"}');
    // Same input, fresh IV: no two ciphertexts alike.
    const [again] = await codec.encode([payload('{"email":"ada@example.com"}')]);
    assert.notDeepEqual(Buffer.from(again!.data!), Buffer.from(encoded!.data!));
  });

  it('rotates keys: new payloads use the first key, old ones still decrypt', async () => {
    const old = new AesGcmPayloadCodec(parsePayloadKeys(key('k1', 1)));
    const rotated = new AesGcmPayloadCodec(parsePayloadKeys(`${key('k2', 2)},${key('k1', 1)}`));
    const [fromOld] = await old.encode([payload('old')]);
    assert.equal(textOf((await rotated.decode([fromOld!]))[0]), 'old');
    const [fromNew] = await rotated.encode([payload('new')]);
    assert.equal(Buffer.from(fromNew!.metadata!['encryption-key-id']!).toString(), 'k2');
    await assert.rejects(old.decode([fromNew!]), /unknown key id "k2"/);
  });

  it('refuses tampered ciphertext and passes unencrypted payloads through', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(key('k1', 1)));
    const [encoded] = await codec.encode([payload('amount 4900')]);
    const data = Buffer.from(encoded!.data!);
    data[20] = (data[20] ?? 0) ^ 1;
    await assert.rejects(codec.decode([{ ...encoded!, data }]));
    assert.equal(textOf((await codec.decode([payload('plain')]))[0]), 'plain');
  });

  it('validates configured keys', () => {
    assert.throws(() => parsePayloadKeys('k1:' + Buffer.alloc(16).toString('base64')), /32 bytes/);
    assert.throws(() => parsePayloadKeys(`${key('k1', 1)},${key('k1', 2)}`), /unique/);
    assert.throws(() => parsePayloadKeys(''), /at least one/);
    assert.throws(() => parsePayloadKeys(':abc'), /key ids/);
  });
});
