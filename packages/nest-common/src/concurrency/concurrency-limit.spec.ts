import { ConcurrencyLimit } from './concurrency-limit';

describe('ConcurrencyLimit', () => {
  it('lets `limit` holders in and hands a freed slot to the first in line', async () => {
    const limit = new ConcurrencyLimit(2);
    const first = (await limit.acquire())!;
    await limit.acquire();
    const order: string[] = [];
    const waiting = ['b', 'c'].map((name) => limit.acquire().then((release) => (order.push(name), release)));
    expect(limit.queued).toBe(2);
    first();
    first(); // a second call gives nothing back
    await waiting[0];
    expect(order).toEqual(['b']);
    expect({ active: limit.active, queued: limit.queued }).toEqual({ active: 2, queued: 1 });
  });

  it('gives up after the timeout, leaving the line', async () => {
    const limit = new ConcurrencyLimit(1);
    const held = (await limit.acquire())!;
    expect(await limit.acquire({ timeoutMs: 5 })).toBeUndefined();
    expect(limit.queued).toBe(0);
    held();
    expect(limit.active).toBe(0);
  });

  it('rejects a waiter whose signal aborts, with its reason', async () => {
    const limit = new ConcurrencyLimit(1);
    await limit.acquire();
    const cancel = new AbortController();
    const waiting = limit.acquire({ signal: cancel.signal });
    cancel.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(limit.queued).toBe(0);
  });

  it('frees the slot of a task that fails', async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limit.active).toBe(0);
  });
});
