import { failures } from './status';

type Requirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: Set<string> };

/** Splits on commas outside parentheses: `a in (x,y),b` → [`a in (x,y)`, `b`]. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += char;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

/** Parses a label selector in the API's string form (equality- and set-based) into a predicate. */
export function parseLabelSelector(selector: string | null | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (selector === null || selector === undefined || selector.trim() === '') return () => true;
  const requirements: Requirement[] = splitTerms(selector).map((term) => {
    let match = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (match) return { op: match[2] as 'in' | 'notin', key: match[1]!, values: new Set(match[3]!.split(',').map((v) => v.trim())) };
    match = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(term);
    if (match) return { op: match[2] === '!=' ? 'notin' : 'in', key: match[1]!, values: new Set([match[3]!]) };
    match = /^(!?)([^\s!=(),]+)$/.exec(term);
    if (match) return { op: match[1] === '!' ? 'notexists' : 'exists', key: match[2]! };
    throw failures.badRequest(`unable to parse requirement: ${term}`);
  });
  return (labels) => {
    const l = labels ?? {};
    return requirements.every((r) => {
      const has = Object.hasOwn(l, r.key);
      switch (r.op) {
        case 'exists':
          return has;
        case 'notexists':
          return !has;
        case 'in':
          return has && r.values.has(l[r.key]!);
        case 'notin':
          return !has || !r.values.has(l[r.key]!);
      }
    });
  };
}

/** Parses a field selector (`metadata.name=x,status.phase!=Running`) into a predicate on the object. */
export function parseFieldSelector(selector: string | null | undefined): (object: unknown) => boolean {
  if (selector === null || selector === undefined || selector.trim() === '') return () => true;
  const terms = selector.split(',').map((term) => {
    const match = /^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
    if (!match) throw failures.badRequest(`invalid field selector: ${term}`);
    return { path: match[1]!.split('.'), negate: match[2] === '!=', value: match[3]! };
  });
  return (object) =>
    terms.every(({ path, negate, value }) => {
      const actual = path.reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], object);
      const text = typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean' ? String(actual) : '';
      return (text === value) !== negate;
    });
}
