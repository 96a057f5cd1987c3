import { strict as assert } from 'node:assert';
import { ApplicationFailure } from '@temporalio/common';
import { needsReconnectFailure, toActivityFailure, UNEXPECTED_ERROR_ATTEMPTS } from '../activities/keap-failures';
import { KEAP_FAILURE_TYPE } from '../common/failure-types';
import {
  errorFromFetchFailure,
  InvalidGrantError,
  KeapApiError,
  errorFromResponse,
  retryDelayFromHeaders,
} from '../keap/errors';
import { KeapOAuthClient } from '../keap/oauth';
import { KeapClient } from '../keap/client';

const headers = (h: Record<string, string>) => new Headers(h);

describe('Keap error mapping', () => {
  it('classifies statuses: 5xx, 429 and network trouble retry; other 4xx do not', () => {
    const cases: [number, string, boolean][] = [
      [500, 'server', true],
      [502, 'server', true],
      [503, 'server', true],
      [429, 'rate_limited', true],
      [408, 'timeout', true],
      [400, 'invalid', false],
      [401, 'unauthorized', false],
      [403, 'forbidden', false],
      [404, 'not_found', false],
      [409, 'conflict', false],
      [422, 'invalid', false],
    ];
    for (const [status, kind, retryable] of cases) {
      const error = errorFromResponse('createOrder', status, { message: 'x' }, headers({}));
      assert.equal(error.kind, kind, `status ${status}`);
      assert.equal(error.retryable, retryable, `status ${status}`);
    }
    assert.equal(errorFromFetchFailure('createOrder', new Error('ECONNRESET'), false).retryable, true);
    assert.equal(errorFromFetchFailure('createOrder', new Error('aborted'), true).kind, 'timeout');
  });

  it("carries Keap's own message and details for a rejection", () => {
    const error = errorFromResponse(
      'createPaymentForAnOrder',
      400,
      {
        code: 400,
        message: 'Payment amount exceeds balance',
        status: 'BAD_REQUEST',
        details: [{ domain: 'payment', resource: 'amount' }],
      },
      headers({}),
    );
    assert.match(
      error.message,
      /createPaymentForAnOrder failed with 400: Payment amount exceeds balance \(payment amount\)/,
    );
  });

  it('waits after a 429 as the headers say', () => {
    assert.equal(retryDelayFromHeaders(headers({ 'retry-after': '3' })), 3000);
    const now = Date.parse('2026-11-21T10:00:00Z');
    assert.equal(retryDelayFromHeaders(headers({ 'retry-after': 'Sat, 21 Nov 2026 10:00:05 GMT' }), now), 5000);
    assert.equal(
      retryDelayFromHeaders(
        headers({
          'x-keap-product-throttle-available': '0',
          'x-keap-product-throttle-interval': '1',
          'x-keap-product-throttle-time-unit': 'minutes',
        }),
      ),
      60_000,
    );
    assert.equal(retryDelayFromHeaders(headers({ 'x-keap-product-throttle-available': '5' })), undefined);
    const throttled = errorFromResponse('listContacts', 429, undefined, headers({ 'retry-after': '2' }));
    assert.equal(throttled.retryAfterMs, 2000);
    // A 429 without any hint still waits a little rather than hammering Keap.
    assert.equal(errorFromResponse('listContacts', 429, undefined, headers({})).retryAfterMs, 1000);
  });

  it('becomes the right Temporal failure', () => {
    const transient = toActivityFailure(errorFromResponse('createOrder', 429, {}, headers({ 'retry-after': '4' })));
    assert.equal(transient.type, KEAP_FAILURE_TYPE.retryable);
    assert.equal(transient.nonRetryable, false);
    assert.equal(transient.nextRetryDelay, 4000);
    const rejected = toActivityFailure(errorFromResponse('createOrder', 400, { message: 'bad contact' }, headers({})));
    assert.equal(rejected.type, KEAP_FAILURE_TYPE.rejected);
    assert.equal(rejected.nonRetryable, true);
    const passthrough = ApplicationFailure.nonRetryable('x', 'AccountNotFound');
    assert.equal(toActivityFailure(passthrough), passthrough);
    assert.equal(toActivityFailure(new TypeError('boom')).nonRetryable, false);
  });

  it('an unexpected error that looks like a bug retries a bounded number of attempts, then stops (the step parks)', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    for (let attempt = 1; attempt < UNEXPECTED_ERROR_ATTEMPTS; attempt++) {
      const failure = toActivityFailure(bug, attempt);
      assert.equal(failure.type, 'UnexpectedError');
      assert.equal(failure.nonRetryable, false, `attempt ${attempt}`);
    }
    const last = toActivityFailure(bug, UNEXPECTED_ERROR_ATTEMPTS);
    assert.equal(last.type, 'UnexpectedError');
    assert.equal(last.nonRetryable, true);
    assert.match(last.message, /^Cannot read properties of undefined \(reading 'id'\)/);
    assert.match(last.message, new RegExp(`after ${UNEXPECTED_ERROR_ATTEMPTS} attempts`));
    // Environment trouble (it carries a code: a system error, the database driver's SQLSTATE) heals by itself.
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    assert.equal(toActivityFailure(outage, 50).nonRetryable, false);
    const adminShutdown = Object.assign(new Error('terminating connection'), { code: '57P01' });
    assert.equal(toActivityFailure(adminShutdown, 50).nonRetryable, false);
    // Without an attempt number (callers that do not know it), as before: retried.
    assert.equal(toActivityFailure(bug).nonRetryable, false);
  });

  it('a value Keap’s filter cannot express is a rejection, not an unexpected (retried) error', async () => {
    const keap = new KeapClient(
      { baseUrl: 'http://127.0.0.1:9/crm', auth: { type: 'apiKey', apiKey: 'k' } },
      { fetch: () => Promise.reject(new Error('no call may be sent')) },
    );
    for (const lookup of [
      () => keap.findTagByName('Past due; call them'),
      () => keap.findOrdersByField('_SalesSyncOrderKey', 'ss:a:o:in_1*'),
      () => keap.findProductBySku('A;B'),
    ]) {
      const error: unknown = await lookup().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof KeapApiError, String(error));
      assert.equal(error.kind, 'invalid');
      assert.match(error.message, /not sent: a filter value may not contain ";" or "\*"/);
      const failure = toActivityFailure(error, 1);
      assert.equal(failure.type, KEAP_FAILURE_TYPE.rejected);
      assert.equal(failure.nonRetryable, true);
    }
  });

  it('keeps the failure shape workflows and saved histories rely on: type, details, cause', () => {
    const rejected = toActivityFailure(errorFromResponse('createOrder', 404, { message: 'gone' }, headers({})));
    assert.deepEqual(rejected.details, [{ kind: 'not_found', operation: 'createOrder', status: 404 }]);
    assert.equal(rejected.nextRetryDelay, undefined);
    assert.ok(rejected.cause instanceof KeapApiError);
    const network = toActivityFailure(errorFromFetchFailure('listTags', new Error('ECONNRESET'), false));
    assert.deepEqual(network.details, [{ kind: 'network', operation: 'listTags', status: null }]);
    const unexpected = toActivityFailure(new TypeError('boom'));
    assert.equal(unexpected.type, 'UnexpectedError');
    assert.equal(unexpected.message, 'boom');
    const reconnect = needsReconnectFailure('acct_1', 'Keap refused the refresh token');
    assert.equal(reconnect.type, KEAP_FAILURE_TYPE.needsReconnect);
    assert.equal(reconnect.nonRetryable, true);
    assert.equal(
      reconnect.message,
      'The Keap connection of account acct_1 needs the merchant to reconnect: Keap refused the refresh token',
    );
  });
});

describe('Keap OAuth errors', () => {
  const oauth = (status: number, body: unknown) =>
    new KeapOAuthClient(
      { tokenUrl: 'http://keap.invalid/token', clientId: 'id', clientSecret: 'secret' },
      { fetch: () => Promise.resolve(new Response(JSON.stringify(body), { status })) },
    );

  it('a refused grant is a KeapApiError of kind invalid_grant, never retryable', async () => {
    await assert.rejects(
      oauth(400, { error: 'invalid_grant', error_description: 'refresh token revoked' }).refresh('r'),
      (error: unknown) =>
        error instanceof InvalidGrantError &&
        error instanceof KeapApiError &&
        error.name === 'InvalidGrantError' &&
        error.kind === 'invalid_grant' &&
        !error.retryable &&
        error.operation === 'refreshAccessToken' &&
        error.status === 400 &&
        error.message === 'Keap refused the grant: refresh token revoked',
    );
  });

  it('other token endpoint failures are plain KeapApiErrors', async () => {
    await assert.rejects(
      oauth(503, { error: 'temporarily_unavailable' }).exchangeCode('c', 'http://app.invalid/cb'),
      (error: unknown) =>
        error instanceof KeapApiError &&
        !(error instanceof InvalidGrantError) &&
        error.kind === 'server' &&
        error.retryable,
    );
  });
});

describe('Keap client write deadline', () => {
  it('sends no write once the attempt is too close to its timeout (a retryable error instead), but still reads', async () => {
    const sent: string[] = [];
    const fakeFetch: typeof fetch = (input, init) => {
      sent.push(`${init?.method} ${input instanceof Request ? input.url : input.toString()}`);
      return Promise.resolve(new Response(JSON.stringify({ contacts: [], next_page_token: '' }), { status: 200 }));
    };
    const keap = new KeapClient(
      { baseUrl: 'http://keap.invalid/crm', auth: { type: 'apiKey', apiKey: 'k' } },
      { fetch: fakeFetch, writeDeadline: Date.now() - 1 },
    );
    await keap.findContactByEmail('a@example.com');
    await assert.rejects(
      keap.createContact({ email_addresses: [{ email: 'a@example.com', field: 'EMAIL1' }] }),
      (error: unknown) => error instanceof KeapApiError && error.retryable && /not sent/.test(error.message),
    );
    assert.equal(sent.length, 1);
    assert.match(sent[0] ?? '', /^GET /);
  });
});
