import { failures } from './status';

type Json = unknown;

function clone<T>(value: T): T {
  return structuredClone(value);
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parent(document: Json, pointer: string): { container: Record<string, Json> | Json[]; key: string } {
  if (!pointer.startsWith('/')) throw failures.invalid('Patch', '', '', [{ message: `invalid JSON pointer ${pointer}` }]);
  const tokens = pointer.slice(1).split('/').map(unescape);
  const key = tokens.pop()!;
  let container = document;
  for (const token of tokens) {
    const next = (container as Record<string, Json>)?.[token];
    if (next === undefined || next === null || typeof next !== 'object') {
      throw failures.invalid('Patch', '', '', [{ message: `path ${pointer} does not exist` }]);
    }
    container = next;
  }
  return { container: container as Record<string, Json> | Json[], key };
}

/** Applies an RFC 6902 JSON Patch (add, remove, replace, test) to a copy of `document`. */
export function applyJsonPatch(document: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw failures.badRequest('a JSON patch must be an array of operations');
  const result = clone(document);
  for (const operation of operations as { op?: string; path?: string; value?: Json }[]) {
    const { container, key } = parent(result, operation.path ?? '');
    const isArray = Array.isArray(container);
    const index = key === '-' ? (container as Json[]).length : Number(key);
    switch (operation.op ?? '') {
      case 'add':
        if (isArray) container.splice(index, 0, clone(operation.value));
        else container[key] = clone(operation.value);
        break;
      case 'replace':
      case 'remove': {
        const exists = isArray ? index < container.length : Object.hasOwn(container, key);
        if (!exists) throw failures.invalid('Patch', '', '', [{ message: `unable to ${operation.op} nonexistent key ${operation.path}` }]);
        if (operation.op === 'remove') {
          if (isArray) container.splice(index, 1);
          else delete container[key];
        } else if (isArray) container[index] = clone(operation.value);
        else container[key] = clone(operation.value);
        break;
      }
      case 'test': {
        const actual = isArray ? container[index] : container[key];
        if (JSON.stringify(actual) !== JSON.stringify(operation.value)) {
          throw failures.invalid('Patch', '', '', [{ message: `testing value ${operation.path} failed` }]);
        }
        break;
      }
      default:
        throw failures.badRequest(`unsupported JSON patch operation ${String(operation.op)}`);
    }
  }
  return result;
}

/** Applies an RFC 7386 JSON Merge Patch: objects merge, null deletes, everything else replaces. */
export function applyMergePatch(document: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const result: Record<string, Json> = document !== null && typeof document === 'object' && !Array.isArray(document) ? clone(document as Record<string, Json>) : {};
  for (const [key, value] of Object.entries(patch as Record<string, Json>)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
