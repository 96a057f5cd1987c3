import type { Address, Customer } from '../order-schema';
import type { KeapAddress, KeapContact, KeapContactField, KeapContactWrite, KeapPhoneNumber } from '../../keap/types';
import type { KeapAccess, KeapSession } from '../../activities/keap-access';
import { contentFingerprint } from '../../common/canonical-json';

export interface SyncContactInput {
  accountId: string;
  customer: Customer;
}

export interface SyncContactResult {
  contactId: string;
  action: 'created' | 'updated' | 'unchanged';
}

const PHONE_SLOTS = ['PHONE1', 'PHONE2', 'PHONE3', 'PHONE4', 'PHONE5'] as const;

export function toKeapAddress(address: Address, field: KeapAddress['field']): KeapAddress {
  return {
    field,
    line1: address.line1,
    line2: address.line2,
    locality: address.city,
    region: address.region,
    postal_code: address.postalCode,
    country_code: address.country,
  };
}

/**
 * What to PATCH on an existing contact. Keap v2 replaces any array it is sent, so arrays are merged
 * with what the contact already has: the new phone goes into a free slot, the shipping address
 * replaces only the old shipping address. Nothing the merchant entered by hand is dropped.
 */
export function contactChanges(
  existing: KeapContact,
  customer: Customer,
): { body: KeapContactWrite; mask: KeapContactField[] } {
  const body: KeapContactWrite = {};
  const mask: KeapContactField[] = [];
  if (customer.firstName && customer.firstName !== existing.given_name) {
    body.given_name = customer.firstName;
    mask.push('given_name');
  }
  if (customer.lastName && customer.lastName !== existing.family_name) {
    body.family_name = customer.lastName;
    mask.push('family_name');
  }
  const phones = existing.phone_numbers ?? [];
  if (customer.phone && !phones.some((p) => p.number === customer.phone)) {
    const used = new Set(phones.map((p) => p.field));
    const slot = PHONE_SLOTS.find((s) => !used.has(s));
    if (slot) {
      body.phone_numbers = [...phones, { number: customer.phone, field: slot } satisfies KeapPhoneNumber];
      mask.push('phone_numbers');
    }
  }
  if (customer.address) {
    const shipping = toKeapAddress(customer.address, 'SHIPPING');
    const current = existing.addresses?.find((a) => a.field === 'SHIPPING');
    const same =
      current &&
      (['line1', 'line2', 'locality', 'region', 'postal_code', 'country_code'] as const).every(
        (k) => (current[k] ?? undefined) === shipping[k],
      );
    if (!same) {
      body.addresses = [...(existing.addresses ?? []).filter((a) => a.field !== 'SHIPPING'), shipping];
      mask.push('addresses');
    }
  }
  return { body, mask };
}

export function newContact(customer: Customer): KeapContactWrite {
  return {
    given_name: customer.firstName,
    family_name: customer.lastName,
    email_addresses: [{ email: customer.email, field: 'EMAIL1' }],
    phone_numbers: customer.phone ? [{ number: customer.phone, field: 'PHONE1' }] : undefined,
    addresses: customer.address ? [toKeapAddress(customer.address, 'SHIPPING')] : undefined,
  };
}

/** A contact synced this recently with the same details is taken from the ledger (a merge in Keap shows after). */
const CONTACT_RECHECK_MS = 10 * 60_000;

/**
 * Finds the contact by email, then creates it or patches only what changed. Safe to retry. One
 * find-or-create at a time per Keap app and email across every process (the ledger's lock), so a
 * repeat customer's orders arriving together find one contact rather than create two; the create
 * also asks Keap to match by email (duplicate_option), for contacts made outside Sales Sync.
 */
export function syncKeapContact(
  session: Pick<KeapSession, 'keap' | 'appKey' | 'ledger'>,
  customer: Customer,
): Promise<SyncContactResult> {
  const { keap, appKey, ledger } = session;
  const synced = contentFingerprint(customer);
  return ledger.exclusive(appKey, 'contact', customer.email.toLowerCase(), async (record) => {
    // Just synced with these very details (a retried attempt, a repeat order): nothing to ask Keap.
    const { prior } = record;
    if (
      prior?.state === 'written' &&
      prior.keapId &&
      prior.detail?.synced === synced &&
      Date.now() - prior.checkedAt < CONTACT_RECHECK_MS
    ) {
      return { contactId: prior.keapId, action: 'unchanged' };
    }
    const existing = await keap.findContactByEmail(customer.email);
    if (!existing) {
      await record.pending();
      const created = await keap.createContact(newContact(customer), { duplicateOption: 'Email' });
      await record.written(created.id, { synced });
      return { contactId: created.id, action: 'created' };
    }
    const { body, mask } = contactChanges(existing, customer);
    if (mask.length > 0) await keap.updateContact(existing.id, body, mask);
    await record.written(existing.id, { synced });
    return { contactId: existing.id, action: mask.length === 0 ? 'unchanged' : 'updated' };
  });
}

export function contactActivities(access: KeapAccess) {
  return {
    /** Finds the contact by email, then creates it or patches only what changed. Safe to retry. */
    async syncContact({ accountId, customer }: SyncContactInput): Promise<SyncContactResult> {
      return access.run(accountId, (session) => syncKeapContact(session, customer));
    },
  };
}
