import type { CliContext } from '../context';
import { formatTable, type Column } from './table';

/** A list: a table for people, a JSON array with --json. */
export function printList<T>(ctx: CliContext, rows: readonly T[], columns: readonly Column<T>[], json: boolean | undefined): void {
  ctx.out(json ? JSON.stringify(rows, null, 2) + '\n' : formatTable(rows, columns, ctx.style));
}

/** One object: a one-row table for people, the object as JSON with --json. */
export function printObject<T>(ctx: CliContext, row: T, columns: readonly Column<T>[], json: boolean | undefined): void {
  ctx.out(json ? JSON.stringify(row, null, 2) + '\n' : formatTable([row], columns, ctx.style));
}

/** A timestamp as people read it: `2026-01-02 03:04`, in UTC. */
export function shortTime(timestamp: string | null): string {
  return timestamp ? timestamp.slice(0, 16).replace('T', ' ') : '';
}
