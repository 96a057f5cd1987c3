import { strict as assert } from 'node:assert';
import { contactChanges, newContact } from '../activities/contacts';
import type { Customer } from '../common/order-schema';
import type { KeapContact } from '../keap/types';

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
