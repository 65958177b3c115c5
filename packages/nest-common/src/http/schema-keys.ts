import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas a value at `path` may have to match, through optional/default/array/union wrappers. */
function schemasAt(schema: z.ZodType, path: PropertyKey[]): z.ZodType[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
      return schemasAt(def.innerType!, path);
    case 'pipe':
      return schemasAt(def.in!, path);
    case 'union':
      return (def.options ?? []).flatMap((option) => schemasAt(option, path));
    default:
      break;
  }
  if (path.length === 0) return [schema];
  const [head, ...rest] = path;
  if (def.type === 'object' && typeof head === 'string' && def.shape && head in def.shape) return schemasAt(def.shape[head] as z.ZodType, rest);
  if (def.type === 'array' && typeof head === 'number') return schemasAt(def.element!, rest);
  return [];
}

/** The field names an object at `path` of the schema accepts (all of a union's shapes together). */
export function keysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  const keys = schemasAt(schema, path).flatMap((s) => Object.keys(defOf(s).shape ?? {}));
  return [...new Set(keys)];
}

/** Edits between two strings, a swap of neighbours counting as one (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key a typo was most likely meant to be: at most two edits away, and at most half of it. */
export function closestKey(key: string, known: string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && distance <= candidate.length / 2 && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}
