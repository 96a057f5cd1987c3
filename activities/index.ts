import { connectionActivities } from '../accounts/activities/connections';
import { contactActivities } from '../orders/activities/contacts';
import { KeapAccess } from './keap-access';
import type { KeapAccessDeps } from './keap-access';
import { KeapOrders, orderActivities } from '../orders/activities/keap-orders';
import { KeapProducts, productActivities } from '../orders/activities/products';
import { productSyncActivities } from '../checkouts/activities/product-sync';
import type { ProductSyncDeps } from '../checkouts/activities/product-sync';
import { saleActivities } from '../orders/activities/sales';
import { tagActivities } from '../orders/activities/tags';
import type { Database } from '../platform/database';

/**
 * What the worker gives its activities: `db` is the PostgreSQL every process shares, on which
 * `accounts` and `checkouts` (where the API stores published checkouts) live.
 */
export type ActivityDeps = KeapAccessDeps & Pick<ProductSyncDeps, 'checkouts'> & { db: Database };

/** All activities, bound to their dependencies; the worker registers exactly this object. */
export function createActivities(deps: ActivityDeps) {
  const access = new KeapAccess(deps);
  const products = new KeapProducts(deps.checkouts);
  const orders = new KeapOrders();
  return {
    ...contactActivities(access),
    ...productActivities(access, products),
    ...orderActivities(access, orders),
    ...saleActivities(access, products, orders),
    ...tagActivities(access),
    ...productSyncActivities(access, deps),
    ...connectionActivities(deps.accounts, deps.connections),
  };
}

export type SalesSyncActivities = ReturnType<typeof createActivities>;
