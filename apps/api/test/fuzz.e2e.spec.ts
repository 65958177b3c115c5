import { ERROR_TYPES } from '@stratus/contracts';
import fc from 'fast-check';
import { startTestApi, type TestApi } from './harness';
import { createRouteObjects, ROUTES, type RouteIds } from './routes';

// Property: whatever a client sends, the API answers with a documented status and, for errors,
// the documented envelope — never a 500 — and a rejected request changes nothing.

let api: TestApi;
let ids: RouteIds;
beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_REQUESTS: '0' });
  ids = await createRouteObjects(api);
});
afterAll(() => api.close());

// Every documented error status except 500 and 503, which bad input must never produce.
const STATUS_TYPES: Record<number, string> = Object.fromEntries(Object.entries(ERROR_TYPES).filter(([status]) => Number(status) < 500));

const junkValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { maxKeys: 3 }),
  fc.string({ minLength: 300, maxLength: 3000 }),
);
const fieldNames = fc.constantFrom('name', 'model', 'description', 'system', 'tools', 'mcp_servers', 'metadata', 'version', 'config', 'agent', 'environment_id', 'title', 'environment_variables', 'initial_events', 'events', 'type', 'content', 'url', 'event_types', 'enabled', 'grace_period_seconds', 'vault_ids', 'display_name', 'auth', '__proto__', 'constructor');
const plausibleBody = fc.dictionary(fieldNames, junkValue, { maxKeys: 5 });
const eventsBody = fc.record({
  events: fc.array(
    fc.record({ type: fc.oneof(fc.constantFrom('user.message', 'user.interrupt', 'user.custom_tool_result', 'user.tool_confirmation'), fc.string()), content: junkValue, tool_use_id: junkValue, result: junkValue }, { requiredKeys: ['type'] }),
    { maxLength: 4 },
  ),
});
const rawBody = fc.oneof(
  fc.json().map((j) => ({ raw: j })),
  fc.string().map((s) => ({ raw: s })),
  plausibleBody.map((b) => ({ body: b })),
  eventsBody.map((b) => ({ body: b })),
  fc.anything().map((a) => ({ raw: JSON.stringify(a) ?? 'undefined' })),
);
const queryKeys = fc.constantFrom('limit', 'after_id', 'before_id', 'page', 'order', 'include_archived', 'created_at[gte]', 'created_at[lte]', 'statuses[]', 'types[]', 'agent_id', 'version');
const query = fc.array(fc.tuple(queryKeys, fc.oneof(fc.string(), fc.integer().map(String), fc.constantFrom('-1', '0', '101', 'asc', 'desc', 'true', 'idle', 'agent_x'))), { maxLength: 4 });
const idLike = fc.oneof(fc.constant(''), fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent), fc.constantFrom('sess_0123456789abcdef0123456789abcdef', '..', '%00', 'agent_'));

async function counts(): Promise<string> {
  const [row] = await api.sql(
    'SELECT (SELECT count(*) FROM agents) a, (SELECT count(*) FROM agent_versions) v, (SELECT count(*) FROM environments) e, (SELECT count(*) FROM sessions) s, (SELECT count(*) FROM events) ev, (SELECT count(*) FROM webhooks) w, (SELECT count(*) FROM vaults) vl, (SELECT count(*) FROM vault_credentials) vc',
  );
  return JSON.stringify(row);
}

describe('junk input', () => {
  it('never produces a 500 or an undocumented answer, and a rejection writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(ROUTES.length - 1), idLike, rawBody, query, fc.boolean(), async (r, id, payload, q, withContentType) => {
        const [method, path] = ROUTES[r]!;
        const search = new URLSearchParams(q).toString();
        const before = await counts();
        const headers: Record<string, string> = withContentType ? { 'content-type': 'application/json' } : {};
        const reply = await api.request(method, `${path(ids, id)}${search ? `?${search}` : ''}`, { ...(method === 'GET' ? {} : payload), headers });
        expect(reply.status).toBeLessThan(500);
        if (reply.status >= 400) {
          expect(STATUS_TYPES[reply.status]).toBeDefined();
          expect(reply.body).toMatchObject({ type: 'error', error: { type: STATUS_TYPES[reply.status], message: expect.any(String) }, request_id: expect.any(String) });
          expect(await counts()).toBe(before);
        }
      }),
      { numRuns: 400 },
    );
  }, 180_000);
});
