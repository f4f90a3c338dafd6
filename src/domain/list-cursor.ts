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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICROS = /^-?[0-9]{1,18}$/;

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(`${position.createdAtMicros}.${position.id}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or undefined when the text is not a cursor this API issued. */
export function decodeCursor(cursor: string): ListPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,120}$/.test(cursor)) return undefined;
  const [createdAtMicros, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('.');
  if (rest.length > 0 || !createdAtMicros || !id || !MICROS.test(createdAtMicros) || !UUID.test(id)) return undefined;
  return { createdAtMicros, id };
}
