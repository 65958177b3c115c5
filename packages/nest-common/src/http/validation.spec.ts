import { z } from 'zod';
import { ApiError } from '../errors/api-error';
import { parseOrThrow } from './validation';

const Agent = z.strictObject({
  name: z.string().min(1).max(8),
  model: z.union([z.string(), z.strictObject({ id: z.string(), speed: z.enum(['standard', 'fast']).optional() })]),
  tools: z.array(z.strictObject({ type: z.literal('custom'), name: z.string() })).max(2).optional(),
  limit: z.int().min(1).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

function errorOf(input: unknown, root?: string): { message: string; param?: string } {
  try {
    parseOrThrow(Agent, input, root);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { message: error.message, param: error.param };
  }
  throw new Error('expected a validation error');
}

describe('parseOrThrow', () => {
  it('names a misspelt field and the field it was probably meant to be', () => {
    expect(errorOf({ name: 'a', modle: 'x' })).toEqual({ message: 'Unknown field `modle` (did you mean `model`?).', param: 'modle' });
  });

  it('names a misspelt nested field, through unions and arrays', () => {
    expect(errorOf({ name: 'a', model: { id: 'm', sped: 'fast' } })).toEqual({ message: 'Unknown field `sped` in model (did you mean `speed`?).', param: 'model.sped' });
    expect(errorOf({ name: 'a', model: 'm', tools: [{ type: 'custom', nmae: 'x' }] }).message).toBe('Unknown field `nmae` in tools.0 (did you mean `name`?).');
  });

  it('names an unknown field with no suggestion when nothing is close', () => {
    expect(errorOf({ name: 'a', model: 'm', colour: 'red' })).toEqual({ message: 'Unknown field `colour`.', param: 'colour' });
  });

  it('says "field required" for a missing field, also behind a union', () => {
    expect(errorOf({ name: 'a' })).toEqual({ message: 'model: field required.', param: 'model' });
    expect(errorOf({ model: 'm' })).toEqual({ message: 'name: field required.', param: 'name' });
  });

  it('says "must be …" for wrong values', () => {
    expect(errorOf({ name: 1, model: 'm' }).message).toBe('name: must be a string.');
    expect(errorOf({ name: 'a', model: 7 }).message).toBe('model: must be a string or an object.');
    expect(errorOf({ name: '', model: 'm' }).message).toBe('name: must not be empty.');
    expect(errorOf({ name: 'much too long', model: 'm' }).message).toBe('name: must be at most 8 characters long.');
    expect(errorOf({ name: 'a', model: 'm', limit: 0 }).message).toBe('limit: must be ≥ 1.');
    expect(errorOf({ name: 'a', model: { id: 'm', speed: 'warp' } })).toEqual({ message: 'model.speed: must be one of "standard", "fast".', param: 'model.speed' });
    expect(errorOf({ name: 'a', model: 'm', tools: [{ type: 'x', name: 'n' }] }).message).toBe('tools.0.type: must be "custom".');
    expect(errorOf({ name: 'a', model: 'm', tools: [1, 2, 3] }).message).toBe('tools: must have at most 2 items.');
  });

  it('prefixes the root a query or nested input was parsed under', () => {
    expect(errorOf({ name: 'a', model: 'm', limit: 0 }, 'query').param).toBe('query.limit');
  });

  it('refuses a body that is not a JSON object', () => {
    expect(errorOf([1])).toEqual({ message: 'Request body must be a JSON object.', param: undefined });
  });
});
