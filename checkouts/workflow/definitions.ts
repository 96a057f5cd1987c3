/** The checkout sync and resync workflows' messages, shared by the workflows and their clients (API, activities, tests). */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CheckoutSyncStatus } from '../checkout';

export interface CheckoutSyncWorkflowArgs {
  accountId: string;
  checkoutId: string;
  /** How long the workflow waits for another publish before it completes (default 1 hour). */
  quietPeriodMs?: number;
  /** State carried into the next run by continue-as-new. */
  carried?: CarriedCheckoutState;
}

/** A checkout was published (or is to be synced again): sync its latest stored version. */
export interface PublishedSignal {
  /** The version the publisher stored (informational: the workflow always syncs the latest). */
  version: number;
  /** A resync workflow to send `checkoutSynced` once this request has been handled. */
  notifyWorkflowId?: string;
}

/** What a sync did to one Keap record (the product, its subscription plan). */
export type SyncChange = 'created' | 'updated' | 'unchanged';

/** What one sync did (the `syncCheckoutProduct` activity's result). Ids only: never a secret. */
export interface CheckoutSyncResult {
  accountId: string;
  checkoutId: string;
  version: number;
  sku: string;
  currency: string;
  status: 'Synced' | 'Deactivated' | 'NotSynced';
  reason?: string;
  keapProductId?: string;
  keapSubscriptionPlanId?: string;
  /** The product's price in Keap, minor units. */
  keapPrice?: number;
  product?: SyncChange;
  plan?: SyncChange;
  /** Other active plans on the product that were deactivated. */
  plansDeactivated: number;
}

/** What a checkout's workflow tells a resync workflow about one checkout. */
export interface CheckoutSyncReport {
  checkoutId: string;
  /** Synced and Deactivated count as synced, NotSynced as skipped (Sales Sync off), NeedsAttention as failed. */
  status: Exclude<CheckoutSyncStatus, 'Pending'>;
  version?: number;
  keapProductId?: string;
  error?: string;
}

/** What the `state` query of a checkout's workflow answers. */
export interface CheckoutWorkflowState {
  workflowId: string;
  accountId: string;
  checkoutId: string;
  status: CheckoutSyncStatus;
  /** Highest version a publish announced. */
  publishedVersion: number;
  /** Version of the latest completed sync (0: none yet). */
  syncedVersion: number;
  keapProductId?: string;
  keapSubscriptionPlanId?: string;
  /** Syncs run by this workflow (this run and those before a continue-as-new). */
  syncs: number;
  attention?: { error: string; since: string };
  updatedAt: string;
}

export interface CarriedCheckoutState {
  state: CheckoutWorkflowState;
  /** A publish arrived that is not synced yet. */
  pending: boolean;
  /** Resync workflows still waiting for that sync. */
  notify: string[];
}

export const publishedSignal = defineSignal<[PublishedSignal]>('published');
/** After fixing what Keap rejected (NeedsAttention), an operator asks the checkout to try again. */
export const checkoutResumeSignal = defineSignal('resume');
export const checkoutStateQuery = defineQuery<CheckoutWorkflowState>('state');

/** checkoutSyncWorkflow's signature, for its client without importing the workflow (test/architecture.test.ts checks it). */
export type CheckoutSyncWorkflow = (args: CheckoutSyncWorkflowArgs) => Promise<CheckoutWorkflowState>;

export interface CheckoutResyncWorkflowArgs {
  accountId: string;
  resyncId: string;
  /** Checkouts synced at once (default 5). */
  concurrency?: number;
  /** How long to wait for one checkout's result before counting it failed (default 15 minutes). */
  itemTimeoutMs?: number;
  /** State carried into the next run by continue-as-new (large accounts). */
  carried?: { progress: ResyncProgress; after?: string };
}

export interface ResyncProgress {
  resyncId: string;
  accountId: string;
  status: 'Running' | 'Completed';
  /** Checkouts stored for the account when the resync started. */
  total: number;
  /** Written to Keap (Synced or Deactivated). */
  synced: number;
  /** NeedsAttention, or no result in time. */
  failed: number;
  /** Not handled yet. */
  pending: number;
  /** Not written because Sales Sync is off for the account. */
  notSynced: number;
  /** Being synced right now, and the most at once so far (never above `concurrency`). */
  inFlight: number;
  maxInFlight: number;
  concurrency: number;
  failures: { checkoutId: string; error: string }[];
  startedAt: string;
  completedAt?: string;
}

/** Sent by a checkout's workflow to the resync workflow that asked for its sync. */
export const checkoutSyncedSignal = defineSignal<[CheckoutSyncReport]>('checkoutSynced');
export const resyncProgressQuery = defineQuery<ResyncProgress>('progress');

/** checkoutResyncWorkflow's signature, for its client without importing the workflow (test/architecture.test.ts checks it). */
export type CheckoutResyncWorkflow = (args: CheckoutResyncWorkflowArgs) => Promise<ResyncProgress>;

/** One workflow per checkout: every publish of it is serialised by this one id. */
export function checkoutWorkflowId(accountId: string, checkoutId: string): string {
  return `checkout:${accountId}:${checkoutId}`;
}

export function resyncWorkflowId(accountId: string, resyncId: string): string {
  return `resync:${accountId}:${resyncId}`;
}
