// The list pages' query string (the owner's bot list and the admin fleet page): filters and page
// number read leniently (a value that is not valid is ignored, never an error page), written back
// for links, and the previous/next links of the page shown.
import { ATTENTION_KINDS, type AttentionFilter, type AttentionKind } from '../domain/attention.ts';
import { CONNECTION_STATUSES, type ConnectionStatus } from '../domain/connection-status.ts';

/** Version strings as ingest accepts them (src/domain/heartbeat-input.ts). */
const VERSION = /^[0-9A-Za-z.+-]{1,32}$/;

export interface ListQuery {
  status?: ConnectionStatus;
  /** Plugin version filter (fleet page only). */
  plugin?: string;
  /** WordPress version filter (fleet page only). */
  wp?: string;
  /** Search in names and site URLs. */
  q?: string;
  /** Only bots with an attention item: any, or of this kind (the owner's bot list only). */
  attention?: AttentionFilter;
  page: number;
}

export interface ListQueryOptions {
  /** Whether the version filters apply to this list. */
  versions?: boolean;
  /** Whether the attention filter applies to this list. */
  attention?: boolean;
  /** The last page a link may ask for (OFFSET paging reads every skipped row). */
  maxPage: number;
}

type Form = Record<string, string | undefined>;

/** Reads the list filters from a query string, ignoring values that are not valid. */
export function parseListQuery(query: Form, options: ListQueryOptions): ListQuery {
  const parsed: ListQuery = {
    status: CONNECTION_STATUSES.includes(query.status as ConnectionStatus) ? (query.status as ConnectionStatus) : undefined,
    q: query.q?.trim().slice(0, 100) || undefined,
    page: Math.min(Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1), options.maxPage),
  };
  if (options.versions) {
    parsed.plugin = query.plugin && VERSION.test(query.plugin) ? query.plugin : undefined;
    parsed.wp = query.wp && VERSION.test(query.wp) ? query.wp : undefined;
  }
  if (options.attention && (query.attention === 'any' || ATTENTION_KINDS.includes(query.attention as AttentionKind))) {
    parsed.attention = query.attention as ListQuery['attention'];
  }
  return parsed;
}

/** The query string of a list page; page 1 and empty filters are left out. */
export function listQueryString(query: Partial<ListQuery>): string {
  const params = new URLSearchParams();
  for (const key of ['status', 'plugin', 'wp', 'q', 'attention'] as const) if (query[key]) params.set(key, query[key]!);
  if (query.page && query.page > 1) params.set('page', String(query.page));
  return params.toString();
}

/** The rows of page `page` when each page holds `size`. */
export function pageWindow(page: number, size: number): { limit: number; offset: number } {
  return { limit: size, offset: (page - 1) * size };
}

/** The query strings of the previous and next pages, null where there is none. */
export function pageLinks(query: ListQuery, hasNext: boolean): { previous: string | null; next: string | null } {
  return {
    previous: query.page > 1 ? listQueryString({ ...query, page: query.page - 1 }) || 'page=1' : null,
    next: hasNext ? listQueryString({ ...query, page: query.page + 1 }) : null,
  };
}
