import type { Style } from './style';

export interface Column<T> {
  header: string;
  value(row: T): string;
}

/** Rows as aligned columns under a header row, for people (scripts use --json). */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[], style: Style): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row).replace(/\s+/g, ' ')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const header = style.bold(line(columns.map((c) => c.header)));
  return [header, ...cells.map(line)].join('\n') + '\n';
}
