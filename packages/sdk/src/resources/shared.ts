import type { ListParams } from '../core/pagination.js';
import type { Query } from '../core/types.js';

/** The `created_at[gte]` / `created_at[lte]` filter (RFC 3339 timestamps). */
export interface CreatedAtFilter {
  gte?: string;
  lte?: string;
}

/** List filters shared by agents, environments and sessions. */
export interface ArchivableListParams extends ListParams {
  /** Include archived objects (default false). */
  include_archived?: boolean;
  created_at?: CreatedAtFilter;
}

/** The query string of a list call's parameters. */
export function listQuery<P extends ArchivableListParams>(params: P): Query {
  const { created_at, ...rest } = params;
  return { ...(rest as unknown as Query), 'created_at[gte]': created_at?.gte, 'created_at[lte]': created_at?.lte };
}
