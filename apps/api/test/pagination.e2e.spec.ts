import { demoEnvironment, expectError, startTestApi, type TestApi } from './harness';

let api: TestApi;
let token: string;
let ids: string[]; // oldest first
beforeAll(async () => {
  api = await startTestApi();
  token = await api.newWorkspaceToken();
  ids = [];
  for (let i = 0; i < 25; i++) ids.push((await api.request('POST', '/environments', { token, body: demoEnvironment({ name: `p${i}` }) })).body.id);
});
afterAll(() => api.close());

const list = (query: string) => api.request('GET', `/environments?${query}`, { token });

describe('pagination', () => {
  it('defaults to 20 newest first with the full envelope', async () => {
    const page = await list('');
    expect(page.body.data).toHaveLength(20);
    expect(page.body.data.map((e: any) => e.id)).toEqual([...ids].reverse().slice(0, 20));
    expect(page.body).toMatchObject({ first_id: ids[24], last_id: ids[5], has_more: true });
    expect(typeof page.body.next_page).toBe('string');
    expect(page.body.prev_page).toBeNull();
  });

  it('walks forwards with after_id and with page cursors to the same result', async () => {
    const byId: string[] = [];
    let after = '';
    for (;;) {
      const page = await list(`limit=7&order=asc${after ? `&after_id=${after}` : ''}`);
      byId.push(...page.body.data.map((e: any) => e.id));
      expect(page.body.next_page === null).toBe(!page.body.has_more);
      if (!page.body.has_more) break;
      after = page.body.last_id;
    }
    expect(byId).toEqual(ids);
    const byPage: string[] = [];
    let cursor = '';
    for (;;) {
      const page = await list(`limit=7${cursor ? `&page=${cursor}` : '&order=asc'}`);
      byPage.push(...page.body.data.map((e: any) => e.id));
      if (!page.body.next_page) break;
      cursor = page.body.next_page;
    }
    expect(byPage).toEqual(ids);
  });

  it('walks backwards with before_id and prev_page', async () => {
    const last = await list(`limit=5&order=asc&after_id=${ids[19]}`);
    expect(last.body.data.map((e: any) => e.id)).toEqual(ids.slice(20));
    const prev = await list(`limit=5&order=asc&before_id=${last.body.first_id}`);
    expect(prev.body.data.map((e: any) => e.id)).toEqual(ids.slice(15, 20));
    expect(prev.body.has_more).toBe(true);
    const viaCursor = await list(`limit=5&page=${last.body.prev_page}`);
    expect(viaCursor.body.data.map((e: any) => e.id)).toEqual(ids.slice(15, 20));
    const start = await list(`limit=5&order=asc&before_id=${ids[3]}`);
    expect(start.body.data.map((e: any) => e.id)).toEqual(ids.slice(0, 3));
    expect(start.body).toMatchObject({ has_more: false, next_page: null });
  });

  it('stays correct while objects are created concurrently', async () => {
    const seen: string[] = [];
    let cursor = '';
    let round = 0;
    const created: string[] = [];
    for (;;) {
      const [page] = await Promise.all([
        list(`limit=4${cursor ? `&page=${cursor}` : ''}`),
        api.request('POST', '/environments', { token, body: demoEnvironment({ name: `during-${round++}` }) }).then((r) => created.push(r.body.id)),
      ]);
      seen.push(...page.body.data.map((e: any) => e.id));
      if (!page.body.next_page) break;
      cursor = page.body.next_page;
    }
    // Newest-first pages: everything that existed before the walk is seen exactly once, in order.
    const existing = seen.filter((id) => !created.includes(id));
    expect(existing).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('caps limit at 100 and rejects bad limits and cursors', async () => {
    expect((await list('limit=1000')).status).toBe(200);
    for (const bad of ['limit=0', 'limit=-3', 'limit=ten', 'limit=1.5']) expectError(await list(bad), 400, 'invalid_request_error', 'limit');
    expectError(await list(`after_id=${ids[0]}&before_id=${ids[1]}`), 400, 'invalid_request_error', 'before_id');
    expectError(await list('after_id=env_0123456789abcdef0123456789abcdef'), 400, 'invalid_request_error', 'after_id');
    expectError(await list('before_id=garbage'), 400, 'invalid_request_error', 'before_id');
    expectError(await list('page=%%%'), 400, 'invalid_request_error', 'page');
    expectError(await list(`page=abc&after_id=${ids[0]}`), 400, 'invalid_request_error', 'page');
    expectError(await list('order=sideways'), 400, 'invalid_request_error', 'order');
  });

  it('does not accept a cursor id from another workspace', async () => {
    const other = await api.newWorkspaceToken();
    expectError(await api.request('GET', `/environments?after_id=${ids[0]}`, { token: other }), 400, 'invalid_request_error', 'after_id');
  });
});
