/**
 * Custom search attributes operators filter by in the Temporal UI, e.g.
 * `SalesSyncCustomerEmail = "ada@example.com"` or `SalesSyncStatus = "NeedsAttention"`.
 * The dev server registers them at start (scripts/temporal-dev-server.ts); a Temporal Cloud or
 * self-hosted namespace needs them created once (see README).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA_ACCOUNT_ID = defineSearchAttributeKey('SalesSyncAccountId', SearchAttributeType.KEYWORD);
export const SA_CUSTOMER_EMAIL = defineSearchAttributeKey('SalesSyncCustomerEmail', SearchAttributeType.KEYWORD);
export const SA_KEAP_ORDER_ID = defineSearchAttributeKey('SalesSyncKeapOrderId', SearchAttributeType.KEYWORD);
export const SA_STATUS = defineSearchAttributeKey('SalesSyncStatus', SearchAttributeType.KEYWORD);
export const SA_PLAN_TYPE = defineSearchAttributeKey('SalesSyncPlanType', SearchAttributeType.KEYWORD);

export const SALES_SYNC_SEARCH_ATTRIBUTES = [
  SA_ACCOUNT_ID,
  SA_CUSTOMER_EMAIL,
  SA_KEAP_ORDER_ID,
  SA_STATUS,
  SA_PLAN_TYPE,
];
