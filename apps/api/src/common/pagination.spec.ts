import { keysetWhere } from './pagination';

describe('keysetWhere', () => {
  it('is empty for a first page', () => {
    expect(keysetWhere('id', { order: 'asc', take: 21 })).toEqual({});
  });

  it('takes the keys strictly after the cursor in ascending order and strictly before it in descending order', () => {
    expect(keysetWhere('id', { beyond: 'sesn_b', order: 'asc', take: 21 })).toEqual({ id: { gt: 'sesn_b' } });
    expect(keysetWhere('id', { beyond: 'sesn_b', order: 'desc', take: 21 })).toEqual({ id: { lt: 'sesn_b' } });
  });

  it('keeps a numeric key of 0 (an event sequence or a version) as a cursor', () => {
    expect(keysetWhere('seq', { beyond: 0, order: 'asc', take: 11 })).toEqual({ seq: { gt: 0 } });
  });
});
