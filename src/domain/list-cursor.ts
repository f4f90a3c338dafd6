// The opaque cursor of the API's paged lists (docs/contract.md "Paged lists"). A list is sorted
// oldest first by (created_at, id), so items added during a walk come at its end. The cursor names
// the last item a page returned, and the next page starts right after it, however many items were
// added or deleted in between. The creation
// time travels as whole microseconds since the epoch — PostgreSQL's own precision, which a
// JavaScript Date (milliseconds) would round and so repeat or skip items that share a millisecond.

/** Where a page ended: the last item's creation time (µs since the epoch, as text) and id. */
export interface ListPosition {
  createdAtMicros: string;
  id: string;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

const IDS = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  serial: /^[0-9]{1,19}$/,
} as const;
const MICROS = /^-?[0-9]{1,18}$/;

/** What a client is told for a cursor this API did not make. */
export const BAD_CURSOR_MESSAGE = 'cursor is not one this API returned as next_cursor; start again without it';

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(`${position.createdAtMicros}.${position.id}`, 'utf8').toString('base64url');
}

/**
 * The position a cursor names, or undefined when the text is not a cursor this API issued for a
 * list of this kind of id (uuid rows, or serial ones such as events).
 */
export function decodeCursor(cursor: string, idKind: keyof typeof IDS = 'uuid'): ListPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,120}$/.test(cursor)) return undefined;
  const [createdAtMicros, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('.');
  if (rest.length > 0 || !createdAtMicros || !id || !MICROS.test(createdAtMicros) || !IDS[idKind].test(id)) return undefined;
  return { createdAtMicros, id };
}

/**
 * A page from `limit + 1` rows read in the list's order: the first `limit`, and the cursor of the
 * next page when the extra row shows there is one.
 */
export function pageOf<T>(rows: ReadonlyArray<{ position: ListPosition } & T>, limit: number): { rows: Array<{ position: ListPosition } & T>; nextCursor: string | null } {
  const shown = rows.slice(0, limit);
  return { rows: shown, nextCursor: rows.length > limit ? encodeCursor(shown[shown.length - 1]!.position) : null };
}
