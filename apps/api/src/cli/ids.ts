import { UsageError } from './output';

const ID_SHAPES = { workspace: /^wksp_[0-9a-f]{32}$/, token: /^tok_[0-9a-f]{32}$/ } as const;
const EXAMPLES = { workspace: 'wksp_ followed by 32 hex characters', token: 'tok_ followed by 32 hex characters' } as const;

/** Refuses a malformed id before anything is asked of the database. */
export function checkId(kind: keyof typeof ID_SHAPES, value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required (a ${kind} id: ${EXAMPLES[kind]})`);
  if (!ID_SHAPES[kind].test(value)) throw new UsageError(`${flag}: ${JSON.stringify(value)} is not a ${kind} id (expected ${EXAMPLES[kind]})`);
  return value;
}
