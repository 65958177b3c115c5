import { keysetSql, keysetWhere } from './pagination';

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

describe('keysetSql', () => {
  it('has no condition for a first page and binds only the limit', () => {
    const params: unknown[] = ['wksp_1'];
    expect(keysetSql('s.id', { order: 'desc', take: 21 }, params)).toEqual({ condition: null, orderLimit: 'ORDER BY s.id DESC LIMIT $2' });
    expect(params).toEqual(['wksp_1', 21]);
  });

  it('takes the keys strictly after the cursor in ascending order and strictly before it in descending order', () => {
    const asc: unknown[] = [];
    expect(keysetSql('id', { beyond: 'sesn_b', order: 'asc', take: 21 }, asc)).toEqual({ condition: 'id > $1', orderLimit: 'ORDER BY id ASC LIMIT $2' });
    expect(asc).toEqual(['sesn_b', 21]);
    const desc: unknown[] = ['wksp_1'];
    expect(keysetSql('id', { beyond: 'sesn_b', order: 'desc', take: 3 }, desc)).toEqual({ condition: 'id < $2', orderLimit: 'ORDER BY id DESC LIMIT $3' });
    expect(desc).toEqual(['wksp_1', 'sesn_b', 3]);
  });

  it('keeps a numeric key of 0 as a cursor', () => {
    const params: unknown[] = [];
    expect(keysetSql('seq', { beyond: 0, order: 'asc', take: 11 }, params).condition).toBe('seq > $1');
    expect(params).toEqual([0, 11]);
  });
});
