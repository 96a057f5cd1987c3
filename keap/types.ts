/**
 * Typed subset of Keap REST v2 (../shared/keap/keap-rest-v2.openapi.yaml) for the operations Sales
 * Sync uses. Field names are Keap's own (snake_case). Keep in step with the spec: the conformance
 * test validates our requests and the sandbox's responses against it.
 */

export interface KeapCurrencyValue {
  /** Smallest currency unit (cents), per the spec. */
  amount?: number;
  currency_code?: string;
  formatted_amount?: string;
}

export interface KeapEmailAddress {
  email?: string;
  field?: 'EMAIL1' | 'EMAIL2' | 'EMAIL3' | 'EMAIL_FIELD_UNSPECIFIED';
}

export interface KeapPhoneNumber {
  number?: string;
  field?: 'PHONE1' | 'PHONE2' | 'PHONE3' | 'PHONE4' | 'PHONE5' | 'PHONE_NUMBER_FIELD_UNSPECIFIED';
  type?: string;
}

export interface KeapAddress {
  field?: 'BILLING' | 'SHIPPING' | 'OTHER' | 'ADDRESS_FIELD_UNSPECIFIED';
  line1?: string;
  line2?: string;
  locality?: string;
  region?: string;
  postal_code?: string;
  country_code?: string;
}

export interface KeapContact {
  id: string;
  given_name?: string;
  family_name?: string;
  email_addresses?: KeapEmailAddress[];
  phone_numbers?: KeapPhoneNumber[];
  addresses?: KeapAddress[];
  tag_ids?: string[];
}

export interface KeapContactWrite {
  given_name?: string;
  family_name?: string;
  email_addresses?: KeapEmailAddress[];
  phone_numbers?: KeapPhoneNumber[];
  addresses?: KeapAddress[];
}

export type KeapContactField = 'given_name' | 'family_name' | 'email_addresses' | 'phone_numbers' | 'addresses';

export interface KeapProduct {
  id: string;
  name?: string;
  sku?: string;
  price?: KeapCurrencyValue;
  active?: boolean;
  short_description?: string;
  description?: string;
  subscription_plans?: KeapProductSubscriptionPlan[];
}

/** A plan as a product (getProduct, listProducts) lists it: `SubscriptionPlan_Detail`. */
export interface KeapProductSubscriptionPlan {
  id: string;
  active?: boolean;
  prorate?: boolean;
  billing_cycle?: KeapCycleType;
  billing_frequency?: number;
  number_of_cycles?: number;
  plan_price?: KeapCurrencyValue;
  order_index?: number;
}

export type KeapCycleType = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';

/** `SubscriptionPlan`, as listSubscriptionPlans / createSubscriptionPlans / updateSubscriptionPlan answer. */
export interface KeapSubscriptionPlan {
  id: string;
  /** Bill every `frequency` cycles (Keap's "bill every N months"). */
  frequency?: number;
  active?: boolean;
  subscription_plan_name?: string;
  cycle_type?: KeapCycleType;
  /** 0: until cancelled. */
  total_cycles?: number;
  /** `amount` in minor units. */
  plan_price?: KeapCurrencyValue;
  display_order_index?: number;
}

/** CreateSubscriptionPlanRequest / UpdateSubscriptionPlanRequest (both require cycle_type and plan_price). */
export interface KeapSubscriptionPlanWrite {
  cycle_type: KeapCycleType;
  /** Minor units ("the smallest currency unit"), per the spec; a double there, always an integer here. */
  plan_price: number;
  frequency?: number;
  active?: boolean;
  allow_prorating?: boolean;
  total_cycles?: number;
  display_order_index?: number;
}

export type KeapSubscriptionPlanField =
  'active' | 'allow_prorating' | 'cycle_type' | 'display_order_index' | 'frequency' | 'plan_price' | 'total_cycles';

export interface KeapProductCreate {
  name: string;
  sku?: string;
  /** Minor units (int64), per the spec. */
  price: number;
  short_description: string;
  description?: string;
  active?: boolean;
  shippable?: boolean;
  subscription_only?: boolean;
}

export type KeapProductField = 'active' | 'name' | 'description' | 'price' | 'sku' | 'short_description' | 'shippable';

export interface KeapProductUpdate {
  name?: string;
  sku?: string;
  price?: number;
  short_description?: string;
  description?: string;
  active?: boolean;
  shippable?: boolean;
}

export interface KeapCustomFieldMetaData {
  id: string;
  label?: string;
  field_type?: string;
  record_type?: string;
  field_name?: string;
}

export interface KeapObjectModel {
  custom_fields?: KeapCustomFieldMetaData[];
}

export interface KeapCustomFieldValue {
  id: string;
  content?: unknown;
}

export interface KeapAddressInformation {
  line1?: string;
  line2?: string;
  locality?: string;
  region?: string;
  zip_code?: string;
  country_code?: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
}

export interface KeapOrderItemCreate {
  product_id: string;
  quantity: number;
  /** Major units (a decimal), converted only by common/money.ts. */
  price_per_unit: number;
  name?: string;
  description?: string;
  item_type?: 'PRODUCT';
}

export interface KeapOrderCreate {
  contact_id: string;
  order_time: string;
  order_title: string;
  order_type: 'ONLINE' | 'OFFLINE';
  order_items: KeapOrderItemCreate[];
  custom_fields?: KeapCustomFieldValue[];
  shipping_address?: KeapAddressInformation;
  notes?: string;
}

export interface KeapOrder {
  id: string;
  title?: string;
  status?: 'DRAFT' | 'SENT' | 'VIEWED' | 'PAID';
  total?: KeapCurrencyValue;
  total_paid?: KeapCurrencyValue;
  total_due?: KeapCurrencyValue;
  contact?: { id?: string; email?: string };
  custom_fields?: KeapCustomFieldValue[];
}

export interface KeapPaymentCreate {
  /** Major units (a decimal), converted only by common/money.ts. */
  payment_amount: number;
  apply_to_commissions: boolean;
  payment_method_type?: string;
  payment_time?: string;
  notes?: string;
  external_source?: string;
  external_source_value?: string;
}

export interface KeapPaymentResult {
  id?: string;
  invoice_id?: string;
  payment_amount?: number;
  payment_status_message?: string;
  transaction_id?: string;
}

export interface KeapInvoiceOrderPayment {
  id?: string;
  amount?: number;
  note?: string;
  payment_id?: string;
  pay_time?: string;
  pay_status?: string;
}

export interface KeapTag {
  id: string;
  name?: string;
}

export interface KeapNoteCreate {
  title?: string;
  text?: string;
  type?: string;
  user_id: string;
}

export interface KeapNote {
  id: string;
  title?: string;
  text?: string;
}

/** Keap's `Error` schema. */
export interface KeapErrorBody {
  code?: number;
  message?: string;
  status?: string;
  details?: { domain?: string; resource?: string }[];
}
