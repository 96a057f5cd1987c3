/**
 * A workflow's status as operators see it: the UI's current details on every change, and the
 * `SalesSyncStatus` search attribute upserted only when it changes (each upsert is a billed action
 * and a history event).
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { SA_STATUS } from './search-attributes';

export class StatusBoard<S extends string> {
  /** @param indexed the status the search attribute holds now (the start's, or a carried one), if known. */
  constructor(private indexed: S | undefined) {}

  /**
   * Shows `status` with `details`; upserts the status (and `extra`) when the status changed or `extra`
   * must be written. `searchable: false` keeps a short-lived status out of the search attribute
   * unless `extra` must be upserted anyway.
   */
  show(
    status: S,
    details: string,
    extra: SearchAttributeUpdatePair[] = [],
    { searchable = true }: { searchable?: boolean } = {},
  ): void {
    setCurrentDetails(`**${status}** · ${details}`);
    if (!searchable && extra.length === 0) return;
    if (status === this.indexed && extra.length === 0) return;
    this.indexed = status;
    upsertSearchAttributes([{ key: SA_STATUS, value: status }, ...extra]);
  }
}
