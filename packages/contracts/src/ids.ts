import { z } from 'zod';

/** Prefixes of every public id; the rest is 32 lowercase hex chars of a UUIDv7 (time-ordered). */
export const ID_PREFIXES = {
  agent: 'agent_',
  environment: 'env_',
  session: 'sess_',
  event: 'evt_',
  turn: 'turn_',
  webhook: 'whk_',
  webhookDelivery: 'whe_',
  vault: 'vlt_',
  vaultCredential: 'vcrd_',
  token: 'tok_',
  workspace: 'wksp_',
  request: 'req_',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const HEX32 = '[0-9a-f]{32}';

/** A zod schema for an id of one kind, e.g. `idOf('agent')` accepts `agent_<32 hex>`. */
export function idOf(kind: IdKind) {
  const prefix = ID_PREFIXES[kind];
  return z.string().regex(new RegExp(`^${prefix}${HEX32}$`), { message: `must be an id starting with "${prefix}"` });
}

/** True when the string has the shape of an id of that kind (says nothing about existence). */
export function isIdOf(kind: IdKind, value: string): boolean {
  return new RegExp(`^${ID_PREFIXES[kind]}${HEX32}$`).test(value);
}
