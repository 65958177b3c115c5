import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors';

/** The JSON object of a `--file body.json`, the base that flags then override. */
export async function readBodyFile(file: string | undefined): Promise<Record<string, unknown>> {
  if (file === undefined) return {};
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not valid JSON.`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UsageError(`${file} must hold a JSON object.`);
  return body as Record<string, unknown>;
}

/** The flags that were given, without the undefined ones, so they override the file only when set. */
export function definedFields(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`"${value}" is not a positive integer.`);
  return Number(value);
}
