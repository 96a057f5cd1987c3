// page_size / page_token as Keap v2 takes them. Tokens are opaque to clients; ours encode the last id
// returned, so paging stays correct while rows are inserted and costs a binary search, not an offset walk.
import { badRequest } from './errors';
import type { QueryPlan } from './filter';
import type { OpResult } from './ops/types';
import type { Page, Row, Table } from './store/table';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export interface PageParams {
  pageSize: number;
  afterId: number;
}

export function parsePaging(query: URLSearchParams, kind: string): PageParams {
  let pageSize = DEFAULT_PAGE_SIZE;
  const rawSize = query.get('page_size');
  if (rawSize !== null && rawSize !== '') {
    if (!/^[0-9]+$/.test(rawSize) || Number(rawSize) > MAX_PAGE_SIZE) {
      throw badRequest(`page_size must be an integer between 0 and ${MAX_PAGE_SIZE}`);
    }
    pageSize = Number(rawSize) === 0 ? DEFAULT_PAGE_SIZE : Number(rawSize);
  }
  let afterId = 0;
  const token = query.get('page_token');
  if (token !== null && token !== '') {
    const m = /^(\w+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m || m[1] !== kind) throw badRequest(`Invalid page_token '${token}'`);
    afterId = Number(m[2]);
  }
  return { pageSize, afterId };
}

/** `next_page_token` for a page: empty string on the last page (as in Google-style list APIs). */
export function nextPageToken<T extends { id: number }>(page: Page<T>, kind: string): string {
  const last = page.rows[page.rows.length - 1];
  if (!page.more || !last) return '';
  return Buffer.from(`${kind}:${last.id}`, 'utf8').toString('base64url');
}

/** A list operation's answer: the rows of `table` that `plan` selects after the token, under `kind`. */
export function listPage<T extends Row>(
  table: Table<T>,
  plan: QueryPlan<T>,
  paging: PageParams,
  kind: string,
  render: (row: T) => unknown,
): OpResult {
  const page = table.page({
    candidates: plan.candidates,
    predicate: plan.predicate(),
    afterId: paging.afterId,
    limit: paging.pageSize,
  });
  return { status: 200, body: { [kind]: page.rows.map(render), next_page_token: nextPageToken(page, kind) } };
}
