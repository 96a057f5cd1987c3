// The workflow bundle's entry point: every workflow type the worker serves.
export { orderWorkflow } from './order-workflow';
export { checkoutSyncWorkflow } from './checkout-sync-workflow';
export { checkoutResyncWorkflow } from './checkout-resync-workflow';
export { accountWorkflow } from './account-workflow';
