import type { Page } from '@stratus/contracts';

/** Paging parameters every list takes. */
export interface ListParams {
  /** Items per page, 1..100 (default 20). */
  limit?: number;
  order?: 'asc' | 'desc';
  /** Start after this id (in the list's order). */
  after_id?: string;
  /** Page backwards: the items before this id. */
  before_id?: string;
}

/** A `{data}` answer without paging fields (such as `GET /models`) is one page, the last. */
export type PageLike<T> = Pick<Page<T>, 'data'> & Partial<Omit<Page<T>, 'data'>>;

/**
 * A list call: `await` it for the first page, or iterate it with `for await` for every item of
 * every page, each next page fetched with the previous page's `next_page` cursor when needed.
 */
export class PageList<T> implements PromiseLike<PageLike<T>>, AsyncIterable<T> {
  private first: Promise<PageLike<T>> | undefined;

  /** @param fetchPage fetches the first page (no cursor) or the page a `next_page` cursor names. */
  constructor(private readonly fetchPage: (cursor: string | undefined) => Promise<PageLike<T>>) {}

  private firstPage(): Promise<PageLike<T>> {
    this.first ??= this.fetchPage(undefined);
    return this.first;
  }

  then<R1 = PageLike<T>, R2 = never>(
    onFulfilled?: ((page: PageLike<T>) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.firstPage().then(onFulfilled, onRejected);
  }

  /** Every page in turn, from the first. */
  async *pages(): AsyncGenerator<PageLike<T>, void, undefined> {
    let page = await this.firstPage();
    yield page;
    while (page.has_more && page.next_page) {
      page = await this.fetchPage(page.next_page);
      yield page;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Every item of every page, in an array (mind the size of the list). */
  async toArray(): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}
