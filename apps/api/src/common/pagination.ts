import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Page, type SortOrder } from '@stratus/contracts';
import { invalidRequest, type Query, stringParam } from '@stratus/nest-common';

export type Direction = 'after' | 'before';

/** A parsed list request: how many, which way, from where. */
export interface ListParams {
  limit: number;
  order: SortOrder;
  cursor?: { direction: Direction; id: string };
}

interface PageCursor {
  d: 'a' | 'b';
  id: string;
  o: SortOrder;
}

function encodeCursor(direction: Direction, id: string, order: SortOrder): string {
  const cursor: PageCursor = { d: direction === 'after' ? 'a' : 'b', id, o: order };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(page: string): PageCursor {
  try {
    const cursor = JSON.parse(Buffer.from(page, 'base64url').toString('utf8')) as Partial<PageCursor>;
    if ((cursor.d === 'a' || cursor.d === 'b') && typeof cursor.id === 'string' && (cursor.o === 'asc' || cursor.o === 'desc')) return cursor as PageCursor;
  } catch {
    // fall through to the 400 below
  }
  throw invalidRequest('page: must be a cursor from next_page or prev_page.', 'page');
}

/**
 * Reads `limit`, `order`, `after_id`, `before_id` and `page` as the contract defines them:
 * limit 1..100 (more is capped, less or not a number is a 400), one cursor at most, and a
 * `page` cursor keeps the order it was made with.
 */
export function parseListParams(query: Query, defaultOrder: SortOrder): ListParams {
  const rawLimit = stringParam(query, 'limit');
  let limit = DEFAULT_PAGE_LIMIT;
  if (rawLimit !== undefined) {
    if (!/^-?\d+$/.test(rawLimit.trim())) throw invalidRequest('limit: must be an integer between 1 and 100.', 'limit');
    limit = Number(rawLimit);
    if (limit < 1) throw invalidRequest('limit: must be an integer between 1 and 100.', 'limit');
    limit = Math.min(limit, MAX_PAGE_LIMIT);
  }
  const rawOrder = stringParam(query, 'order');
  if (rawOrder !== undefined && rawOrder !== 'asc' && rawOrder !== 'desc') throw invalidRequest('order: must be "asc" or "desc".', 'order');
  let order: SortOrder = rawOrder ?? defaultOrder;

  const afterId = stringParam(query, 'after_id');
  const beforeId = stringParam(query, 'before_id');
  const page = stringParam(query, 'page');
  if (afterId !== undefined && beforeId !== undefined) throw invalidRequest('Send after_id or before_id, not both.', 'before_id');
  if (page !== undefined && (afterId !== undefined || beforeId !== undefined)) throw invalidRequest('page cannot be combined with after_id or before_id.', 'page');

  let cursor: ListParams['cursor'];
  if (page !== undefined) {
    const decoded = decodeCursor(page);
    order = decoded.o;
    cursor = { direction: decoded.d === 'a' ? 'after' : 'before', id: decoded.id };
  } else if (afterId !== undefined) {
    cursor = { direction: 'after', id: afterId };
  } else if (beforeId !== undefined) {
    cursor = { direction: 'before', id: beforeId };
  }
  if (cursor && cursor.id.length === 0) throw invalidRequest('The cursor id is empty.', cursor.direction === 'after' ? 'after_id' : 'before_id');
  return { limit, order, ...(cursor ? { cursor } : {}) };
}

/** How a repository fetches one slice of a keyset-paginated list. */
export interface SliceRequest<K> {
  /** Rows strictly beyond this key in `order`, or from the start when undefined. */
  beyond?: K;
  order: SortOrder;
  take: number;
}

/**
 * The keyset condition of a slice as a Prisma `where` fragment: `field` strictly beyond the slice's
 * key in its order, or nothing for the first page. Spread it into the list's `where`.
 */
export function keysetWhere<F extends string, K>(field: F, slice: SliceRequest<K>): Partial<Record<F, { gt: K } | { lt: K }>> {
  if (slice.beyond === undefined) return {};
  return { [field]: slice.order === 'asc' ? { gt: slice.beyond } : { lt: slice.beyond } } as Partial<Record<F, { gt: K } | { lt: K }>>;
}

/** The keyset part of a slice's SQL statement; see keysetSql. */
export interface KeysetSql {
  /** `column > $n` (ascending) or `column < $n` (descending); null for a first page. */
  condition: string | null;
  /** `ORDER BY column ASC|DESC LIMIT $n`, which ends the statement. */
  orderLimit: string;
}

/**
 * keysetWhere for a list written in SQL: the condition that keeps `column` strictly beyond the
 * slice's key in its order, and the ORDER BY and LIMIT of the slice. The key and the limit are
 * appended to `params` and referenced by their positions; `column` is an identifier written in
 * code, never input.
 */
export function keysetSql(column: string, slice: SliceRequest<unknown>, params: unknown[]): KeysetSql {
  let condition: string | null = null;
  if (slice.beyond !== undefined) {
    params.push(slice.beyond);
    condition = `${column} ${slice.order === 'asc' ? '>' : '<'} $${params.length}`;
  }
  params.push(slice.take);
  return { condition, orderLimit: `ORDER BY ${column} ${slice.order === 'asc' ? 'ASC' : 'DESC'} LIMIT $${params.length}` };
}

/**
 * Keyset pagination over a unique, ordered key (an id, or an event's sequence number). It stays
 * correct while rows are inserted concurrently: a page never repeats or skips a row that
 * existed when the first page was read.
 *
 * @param idOf the id a row is known by in cursors and first_id/last_id.
 * @param resolveKey maps a cursor id to its key in this list, or undefined when the id is not in it (→ 400).
 */
export async function paginate<T, K>(
  params: ListParams,
  resolveKey: (id: string) => Promise<K | undefined>,
  fetchSlice: (slice: SliceRequest<K>) => Promise<T[]>,
  idOf: (row: T) => string,
): Promise<Page<T>> {
  const { limit, order, cursor } = params;
  let beyond: K | undefined;
  if (cursor) {
    beyond = await resolveKey(cursor.id);
    if (beyond === undefined) {
      throw invalidRequest(`${cursor.id} is not an id in this list.`, cursor.direction === 'after' ? 'after_id' : 'before_id');
    }
  }
  const backwards = cursor?.direction === 'before';
  const sliceOrder: SortOrder = backwards ? (order === 'asc' ? 'desc' : 'asc') : order;
  const rows = await fetchSlice({ ...(beyond !== undefined ? { beyond } : {}), order: sliceOrder, take: limit + 1 });
  const hasMore = rows.length > limit;
  const data = rows.slice(0, limit);
  if (backwards) data.reverse();
  const first = data.length ? idOf(data[0]!) : null;
  const last = data.length ? idOf(data.at(-1)!) : null;

  let next: string | null = null;
  let prev: string | null = null;
  if (backwards) {
    if (hasMore && first) next = encodeCursor('before', first, order);
    if (last) prev = encodeCursor('after', last, order);
  } else {
    if (hasMore && last) next = encodeCursor('after', last, order);
    if (cursor && first) prev = encodeCursor('before', first, order);
  }
  return { data, first_id: first, last_id: last, has_more: hasMore, next_page: next, prev_page: prev };
}
