// Stored shapes. Field names follow the spec's response schemas where a value is echoed as is; money is
// kept as integer minor units (`*Minor`) and rendered to CurrencyValue / major-unit doubles at the edge.
import type { Row } from './table';

export interface EmailAddress {
  email: string;
  field: string;
  opt_in_reason?: string;
  is_opt_in: boolean;
  email_opt_status: string;
}

export interface PhoneNumber {
  number: string;
  field: string;
  extension?: string;
  type?: string;
}

export interface Address {
  field: string;
  line1?: string;
  line2?: string;
  locality?: string;
  region?: string;
  region_code?: string;
  country?: string;
  country_code?: string;
  postal_code?: string;
  zip_code?: string;
  zip_four?: string;
}

export interface FaxNumber {
  number?: string;
  type?: string;
  field?: string;
}

export interface SocialAccount {
  name?: string;
  type: string;
}

export interface CustomFieldValue {
  id: string;
  content: unknown;
}

export interface ContactUtm {
  id: number;
  keapSourceId: string;
  utmSource?: string;
  utmMedium?: string;
  utmTerm?: string;
  utmCampaign?: string;
  utmContent?: string;
  firstTouch: boolean;
  lastTouch: boolean;
  dateCreated: string;
}

/** The request-settable part of a contact, already in response shape. */
export interface ContactData {
  given_name?: string;
  family_name?: string;
  middle_name?: string;
  prefix?: string;
  suffix?: string;
  preferred_name?: string;
  email_addresses?: EmailAddress[];
  phone_numbers?: PhoneNumber[];
  addresses?: Address[];
  fax_numbers?: FaxNumber[];
  social_accounts?: SocialAccount[];
  custom_fields?: CustomFieldValue[];
  company?: { id?: string; company_name?: string };
  origin?: { date: string; ip_address?: string };
  utm_parameters?: ContactUtm[];
  website?: string;
  job_title?: string;
  anniversary_date?: string;
  birth_date?: string;
  contact_type?: string;
  leadsource_id?: string;
  owner_id?: string;
  preferred_locale?: string;
  referral_code?: string;
  source_type?: string;
  spouse_name?: string;
  time_zone?: string;
  assistant_name?: string;
  assistant_phone?: string;
  billing_information?: string;
}

export interface ContactRecord extends Row {
  data: ContactData;
  /** tag id -> applied_time */
  tags: Map<number, string>;
  create_time: string;
  update_time: string;
}

export interface ProductInventory {
  inventory_limit?: number;
  inventory_count?: number;
  out_of_stock_enabled?: boolean;
  email_for_inventory_notifications?: string;
}

export interface ProductRecord extends Row {
  name: string;
  priceMinor: number;
  short_description: string;
  sku?: string;
  active: boolean;
  description?: string;
  shippable: boolean;
  weight?: number;
  taxable: boolean;
  inventory: ProductInventory;
  subscription_only: boolean;
  storefront_hidden: boolean;
  country_taxable: boolean;
  state_taxable: boolean;
  city_taxable: boolean;
  top_html?: string;
  bottom_html?: string;
  is_package: boolean;
  needs_digital_delivery: boolean;
  delivery_description?: string;
  create_time: string;
  update_time: string;
}

/** A subscription plan of a product (createSubscriptionPlans). Price in minor units. */
export interface SubscriptionPlanRecord extends Row {
  productId: number;
  active: boolean;
  allow_prorating: boolean;
  cycle_type: 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
  frequency: number;
  priceMinor: number;
  total_cycles: number;
  display_order_index: number;
  create_time: string;
  update_time: string;
}

export interface CustomFieldRecord extends Row {
  label: string;
  field_type: string;
  field_name: string;
  record_type: 'ORDER';
  options: { id: string; label: string }[];
  group_id?: string;
  user_group_id?: string;
}

export interface OrderItemRecord {
  id: number;
  item_type: string;
  name: string;
  description?: string;
  notes?: string;
  quantity: number;
  priceMinor: number;
  costMinor?: number;
  /** Snapshot of the product when the order was created, as Keap copies it onto the line. */
  product?: { id: string; name: string; sku?: string; description?: string; shippable: boolean; taxable: boolean };
}

export interface PaymentRecord {
  /** invoice-payment id (InvoiceOrderPayment.id) */
  id: number;
  /** payment id (PaymentResult.id, InvoiceOrderPayment.payment_id) */
  paymentId: number;
  amountMinor: number;
  notes?: string;
  payTime: string;
  paymentMethodType: string;
  applyToCommissions: boolean;
  external_source?: string;
  external_source_value?: string;
  external_status_value?: string;
  external_create_time?: string;
  external_update_time?: string;
  external_create_user?: string;
  lastUpdatedTime: string;
}

export interface ShippingRecord {
  id: string;
  address: Omit<Address, 'field'>;
  company?: string;
  given_name?: string;
  family_name?: string;
  phone_number?: string;
  invoice_to_company?: boolean;
}

export interface OrderRecord extends Row {
  contactId: number;
  invoiceId: number;
  title: string;
  order_type: string;
  order_time: string;
  creation_time: string;
  modification_time: string;
  notes?: string;
  terms?: string;
  invoice_title?: string;
  invoice_number?: string;
  lead_affiliate_id?: string;
  sales_affiliate_id?: string;
  sent_time?: string;
  due_time?: string;
  external_create_user?: string;
  external_create_time?: string;
  external_update_time?: string;
  shipping?: ShippingRecord;
  items: OrderItemRecord[];
  totalMinor: number;
  paidMinor: number;
  /** custom field id -> content */
  customFields: Map<number, unknown>;
  payments: PaymentRecord[];
}

export interface TagRecord extends Row {
  name: string;
  description?: string;
  categoryId?: string;
  create_time: string;
  update_time: string;
}

export interface NoteRecord extends Row {
  contactId: number;
  title?: string;
  text?: string;
  type?: string;
  userId: string;
  pinned_at?: string;
  custom_fields: CustomFieldValue[];
  create_time: string;
  update_time: string;
}
