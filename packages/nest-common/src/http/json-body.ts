import { invalidRequest, type ApiError } from '../errors/api-error';

/**
 * Why a parsed JSON body is refused, or null when it is acceptable. Walks the value with an
 * explicit stack rather than recursion: a body of 100,000 nested arrays fits any body limit
 * and would overflow the call stack of a recursive walk, killing the process before auth.
 * The depth bound protects everything downstream (validation, Prisma, JSON.stringify), which
 * does recurse.
 */
export function checkJsonBody(value: unknown, maxDepth: number): ApiError | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const current = item.value;
    if (typeof current === 'string') {
      // PostgreSQL cannot store U+0000 in text, so such strings are refused up front as bad input.
      if (current.includes('\u0000')) return invalidRequest('Strings may not contain NUL characters.');
      continue;
    }
    // JSON.parse turns numbers beyond the double range (1e400) into Infinity, which JSON cannot hold.
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return invalidRequest('Numbers must be within the range of a 64-bit float.');
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) return invalidRequest(`The request body is nested more than ${maxDepth} levels deep.`);
    if (Array.isArray(current)) {
      for (const element of current) stack.push({ value: element, depth });
      continue;
    }
    for (const [key, element] of Object.entries(current)) {
      if (key.includes('\u0000')) return invalidRequest('Strings may not contain NUL characters.');
      stack.push({ value: element, depth });
    }
  }
  return null;
}
