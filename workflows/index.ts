// The workflow bundle's entry point: every workflow type the worker serves.
export { orderWorkflow } from '../orders/workflow/order-workflow';
export { checkoutSyncWorkflow } from '../checkouts/workflow/checkout-sync-workflow';
export { checkoutResyncWorkflow } from '../checkouts/workflow/checkout-resync-workflow';
export { accountWorkflow } from '../accounts/workflow/account-workflow';
