/** What the CLI writes to: stdout for results, stderr for everything meant for a person. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** A failure the person can fix by changing the command line: one line, exit code 2. */
export class UsageError extends Error {}

/** A failure of the command itself (a missing object, a refused change): one line, exit code 1. */
export class CommandError extends Error {}

/** Renders rows as a table with a header row, columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Pretty JSON for scripts, one document per command. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
