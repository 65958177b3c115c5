import type { z } from 'zod';
import { invalidRequest } from '../errors/api-error';
import { closestKey, keysAt } from './schema-keys';

type Issue = z.core.$ZodIssue;

/** zod's own messages; a message a contract wrote itself is kept as it is. */
const DEFAULT_MESSAGE = /^(Invalid|Too (big|small)|Unrecognized|Expected)/;

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

function joinPath(path: PropertyKey[]): string | undefined {
  return path.length ? path.map(String).join('.') : undefined;
}

function bound(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>, word: 'least' | 'most'): string {
  const n = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
  switch (issue.origin) {
    case 'string':
      return word === 'least' && n === 1 ? 'must not be empty' : `must be at ${word} ${n} character${n === 1 ? '' : 's'} long`;
    case 'array':
    case 'set':
      return word === 'least' && n === 1 ? 'must not be empty' : `must have at ${word} ${n} item${n === 1 ? '' : 's'}`;
    case 'bigint':
    case 'date':
    case 'file':
    case 'int':
    case 'number':
    default: {
      const comparison = word === 'least' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
      return `must be ${comparison} ${n}`;
    }
  }
}

/** The union branch that got furthest before failing: its first issue explains the input best. */
function deepestBranchIssue(issue: Extract<Issue, { code: 'invalid_union' }>): Issue | undefined {
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && (!best || first.path.length > best.path.length)) best = first;
  }
  return best;
}

/** One issue as `[path, what is wrong]`, in the words every route uses: "field required", "must be …". */
function explain(issue: Issue, path: PropertyKey[]): [string | undefined, string] {
  const at = [...path, ...issue.path];
  switch (issue.code) {
    case 'invalid_type':
      return [joinPath(at), issue.input === undefined ? 'field required' : `must be ${article(issue.expected)}`];
    case 'invalid_union': {
      const branches = issue.errors.map((branch) => branch[0]);
      if (branches.every((b) => b?.code === 'invalid_type' && b.path.length === 0)) {
        if (issue.input === undefined) return [joinPath(at), 'field required'];
        const expected = [...new Set(branches.map((b) => (b as Extract<Issue, { code: 'invalid_type' }>).expected))];
        return [joinPath(at), `must be ${expected.map(article).join(' or ')}`];
      }
      const deepest = deepestBranchIssue(issue);
      return deepest ? explain(deepest, at) : [joinPath(at), 'does not match any allowed shape'];
    }
    case 'too_small':
      return [joinPath(at), bound(issue, 'least')];
    case 'too_big':
      return [joinPath(at), bound(issue, 'most')];
    case 'invalid_value':
      return [joinPath(at), issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`];
    case 'invalid_format':
      return [joinPath(at), DEFAULT_MESSAGE.test(issue.message) ? `must be a valid ${issue.format}` : issue.message];
    case 'not_multiple_of':
      return [joinPath(at), `must be a multiple of ${String(issue.divisor)}`];
    case 'unrecognized_keys':
    case 'invalid_key':
    case 'invalid_element':
    case 'custom':
    default:
      return [joinPath(at), issue.message];
  }
}

/** Names the first unknown field, with the known field it was probably meant to be. */
function unknownField(schema: z.ZodType, issue: Extract<Issue, { code: 'unrecognized_keys' }>, root: string | undefined): [string, string] {
  const key = issue.keys[0]!;
  const param = [root, ...issue.path.map(String), key].filter(Boolean).join('.');
  const suggestion = closestKey(key, keysAt(schema, issue.path));
  const parent = joinPath(root === undefined ? issue.path : [root, ...issue.path]);
  const where = parent ? ` in ${parent}` : '';
  return [param, `Unknown field \`${key}\`${where}${suggestion ? ` (did you mean \`${suggestion}\`?)` : ''}.`];
}

/** Parses input with a schema or throws a 400 that names the offending field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root?: string): z.output<S> {
  if (root === undefined && (input === undefined || input === null || typeof input !== 'object' || Array.isArray(input))) {
    return throwInvalid('Request body must be a JSON object.', undefined);
  }
  // reportInput: tells a missing field (no input) from one of the wrong type.
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  // A misspelt field also shows up as the real one missing: name the misspelling, it is the cause.
  const unknown = result.error.issues.find((i): i is Extract<Issue, { code: 'unrecognized_keys' }> => i.code === 'unrecognized_keys' && i.keys.length > 0);
  if (unknown) {
    const [param, message] = unknownField(schema, unknown, root);
    return throwInvalid(message, param);
  }
  const [param, problem] = explain(result.error.issues[0]!, root === undefined ? [] : [root]);
  return throwInvalid(param ? `${param}: ${problem}.` : `${problem}.`, param);
}

function throwInvalid(message: string, param: string | undefined): never {
  throw invalidRequest(message, param);
}
