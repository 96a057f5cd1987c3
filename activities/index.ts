import { contactActivities } from './contacts';
import { KeapAccess } from './keap-access';
import type { KeapAccessDeps } from './keap-access';
import { orderActivities } from './orders';
import { productActivities } from './products';
import { tagActivities } from './tags';

export type { KeapAccessDeps as ActivityDeps } from './keap-access';

/** All activities, bound to their dependencies; the worker registers exactly this object. */
export function createActivities(deps: KeapAccessDeps) {
  const access = new KeapAccess(deps);
  return {
    ...contactActivities(access),
    ...productActivities(access),
    ...orderActivities(access),
    ...tagActivities(access),
  };
}

export type SalesSyncActivities = ReturnType<typeof createActivities>;
