import { strict as assert } from 'node:assert';
import { KeapLedger } from '../activities/keap-ledger';
import { contactChanges, newContact, syncKeapContact } from '../orders/activities/contacts';
import { KeapClient } from '../keap/client';
import { startKeapSandbox, type KeapSandbox } from '../keap-sandbox';
import type { Customer } from '../orders/order-schema';
import type { KeapContact } from '../keap/types';
import { sharedTestDatabase } from './support/database';

const customer: Customer = {
  email: 'ada@example.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
  phone: '+15550001111',
  address: { line1: '1 Analytical St', city: 'London', postalCode: 'N1', country: 'GBR' },
};

describe('contact merge (Keap v2 replaces arrays it is sent)', () => {
  it('creates a complete contact for a new customer', () => {
    const body = newContact(customer);
    assert.deepEqual(body.email_addresses, [{ email: 'ada@example.com', field: 'EMAIL1' }]);
    assert.deepEqual(body.phone_numbers, [{ number: '+15550001111', field: 'PHONE1' }]);
    assert.equal(body.addresses?.[0]?.field, 'SHIPPING');
    assert.equal(body.addresses?.[0]?.country_code, 'GBR');
  });

  it('patches nothing when the contact already matches', () => {
    const existing: KeapContact = {
      id: '1',
      given_name: 'Ada',
      family_name: 'Lovelace',
      phone_numbers: [{ number: '+15550001111', field: 'PHONE1' }],
      addresses: [
        { field: 'SHIPPING', line1: '1 Analytical St', locality: 'London', postal_code: 'N1', country_code: 'GBR' },
      ],
    };
    assert.deepEqual(contactChanges(existing, customer).mask, []);
  });

  it('keeps what the merchant entered: phones go to a free slot, only the shipping address is replaced', () => {
    const existing: KeapContact = {
      id: '1',
      given_name: 'A.',
      phone_numbers: [{ number: '+15559999999', field: 'PHONE1' }],
      addresses: [
        { field: 'BILLING', line1: 'Billing Rd', locality: 'Paris', country_code: 'FRA' },
        { field: 'SHIPPING', line1: 'Old St', locality: 'Leeds', country_code: 'GBR' },
      ],
    };
    const { body, mask } = contactChanges(existing, customer);
    assert.deepEqual(mask.sort(), ['addresses', 'family_name', 'given_name', 'phone_numbers']);
    assert.deepEqual(body.phone_numbers, [
      { number: '+15559999999', field: 'PHONE1' },
      { number: '+15550001111', field: 'PHONE2' },
    ]);
    assert.deepEqual(
      body.addresses?.map((a) => [a.field, a.line1]),
      [
        ['BILLING', 'Billing Rd'],
        ['SHIPPING', '1 Analytical St'],
      ],
    );
  });

  it('never blanks a name the order does not carry', () => {
    const { mask } = contactChanges({ id: '1', given_name: 'Ada', family_name: 'L' }, { email: 'ada@example.com' });
    assert.deepEqual(mask, []);
  });
});

describe('contact find-or-create against the Keap sandbox', () => {
  let sandbox: KeapSandbox;
  let keap: KeapClient;
  before(async () => {
    sandbox = await startKeapSandbox({ port: 0, latencyMs: 20 });
    keap = new KeapClient({ baseUrl: sandbox.url, auth: { type: 'apiKey', apiKey: sandbox.apiKey } });
  });
  after(() => sandbox.close());

  it('gives a repeat customer whose orders arrive together on five worker processes one contact', async () => {
    // Five processes: each its own pools on one database, nothing shared in memory.
    const sessions = (await sharedTestDatabase(5)).map((db) => ({ keap, appKey: 'app-1', ledger: new KeapLedger(db) }));
    const results = await Promise.all(
      sessions.map((session) => syncKeapContact(session, { ...customer, email: 'Repeat@Example.com' })),
    );
    assert.equal(new Set(results.map((r) => r.contactId)).size, 1);
    assert.deepEqual(results.map((r) => r.action).sort(), [
      'created',
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    const res = await fetch(
      `${sandbox.url}/rest/v2/contacts?filter=${encodeURIComponent('email==repeat@example.com')}`,
      {
        headers: { 'X-Keap-API-Key': sandbox.apiKey },
      },
    );
    assert.equal(((await res.json()) as { contacts: unknown[] }).contacts.length, 1);
  });

  it('asks Keap to match by email when it creates, so two workers racing still make one contact', async () => {
    const body = newContact({ ...customer, email: 'race@example.com' });
    const [a, b] = await Promise.all([
      keap.createContact(body, { duplicateOption: 'Email' }),
      keap.createContact(body, { duplicateOption: 'Email' }),
    ]);
    assert.equal(a.id, b.id);
  });
});
