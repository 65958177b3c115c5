import { checkJsonBody } from './json-body';

const nestedArrays = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;

describe('checkJsonBody', () => {
  it('walks a million levels without overflowing the stack, refusing them past the limit', () => {
    expect(checkJsonBody(nestedArrays(1_000_000), 64)?.message).toBe('The request body is nested more than 64 levels deep.');
  });

  it('counts objects and arrays alike, and takes a body exactly at the limit', () => {
    expect(checkJsonBody(nestedArrays(64), 64)).toBeNull();
    expect(checkJsonBody(nestedArrays(65), 64)?.status).toBe(400);
    expect(checkJsonBody(JSON.parse('{"a":{"b":[{"c":1}]}}'), 4)).toBeNull();
    expect(checkJsonBody(JSON.parse('{"a":{"b":[{"c":[]}]}}'), 4)?.status).toBe(400);
  });

  it('refuses NUL characters in values and keys, and numbers JSON.parse turned into Infinity', () => {
    expect(checkJsonBody({ a: ['x', 'y\u0000'] }, 64)?.message).toMatch(/NUL/);
    expect(checkJsonBody(JSON.parse('{"a\\u0000":1}'), 64)?.message).toMatch(/NUL/);
    expect(checkJsonBody(JSON.parse('{"n":[1e400]}'), 64)?.message).toMatch(/64-bit float/);
    expect(checkJsonBody(JSON.parse('{"n":-1e400}'), 64)?.message).toMatch(/64-bit float/);
  });

  it('accepts scalars, large finite numbers and __proto__ keys as plain data', () => {
    for (const value of ['text', JSON.parse('123456789012345678901234567890'), true, null, undefined, JSON.parse('{"__proto__":{"x":1}}')]) expect(checkJsonBody(value, 64)).toBeNull();
  });
});
