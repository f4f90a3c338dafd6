// Keyset pages (docs/contract.md "Paged lists"): a list ordered by (a time, id) starts each page
// right after the last row of the previous one. The time travels as whole microseconds since the
// epoch (PostgreSQL's precision; a JavaScript Date would round it) in the opaque cursor.
import type { ListPosition } from '../domain/list-cursor.ts';

/** The column each row carries its position in: the list's time in microseconds, as text. */
export const positionColumn = (time: string) => `(extract(epoch FROM ${time}) * 1000000)::bigint::text AS list_position_us`;

/**
 * `AND (time, id) > position` (or `<` for a newest-first list), its two parameters pushed onto
 * `params`; empty for the first page.
 */
export function pastPosition(params: unknown[], time: string, position: ListPosition | undefined, direction: '>' | '<', idType: 'uuid' | 'bigint' = 'uuid'): string {
  if (!position) return '';
  params.push(position.createdAtMicros, position.id);
  return `AND (${time}, id) ${direction} ('epoch'::timestamptz + $${params.length - 1}::bigint * interval '1 microsecond', $${params.length}::${idType})`;
}

/** Each row without its position column, beside its position. */
export function withPositions<R extends { id: string | number }>(rows: ReadonlyArray<R & { list_position_us: string }>): Array<{ row: R; position: ListPosition }> {
  return rows.map(({ list_position_us, ...row }) => ({ row: row as unknown as R, position: { createdAtMicros: list_position_us, id: String(row.id) } }));
}
