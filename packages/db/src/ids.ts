import { ID_PREFIXES, type IdKind } from '@stratus/contracts';
import { v7 as uuidv7 } from 'uuid';

/**
 * A new public id: the kind's prefix and a UUIDv7 as 32 hex chars. UUIDv7 starts with the time
 * in ms and is monotonic within a process, so sorting by id sorts by creation.
 */
export function newId(kind: IdKind): string {
  return ID_PREFIXES[kind] + uuidv7().replaceAll('-', '');
}
