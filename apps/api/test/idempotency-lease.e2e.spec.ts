import { Client } from 'pg';
import { demoAgent, startTestApi, type TestApi } from './harness';

// An in-flight Idempotency-Key claim holds the key only for a lease. The races are driven in
// PostgreSQL itself: triggers make storing a response fail, delete a claim or hold a request inside
// its handler (on an advisory lock the test owns), and rows are aged by moving their times back.

const LEASE_SECONDS = 60;

let api: TestApi;
let control: Client;
beforeAll(async () => {
  api = await startTestApi({ STRATUS_IDEMPOTENCY_LEASE_MS: String(LEASE_SECONDS * 1000) });
  control = new Client({ connectionString: api.db.url });
  await control.connect();
});
afterAll(async () => {
  await control.end();
  await api.close();
});

/** Undoes a test's triggers and locks even when it failed half-way, so the next test starts clean. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const createAgent = (key: string, name: string) => api.request('POST', '/agents', { body: demoAgent({ name }), headers: { 'idempotency-key': key } });
const agentsNamed = async (name: string) => Number((await api.sql('SELECT count(*) AS n FROM agent_versions WHERE name = $1', [name]))[0].n);

/** Moves a key's claim back in time, as if `seconds` had passed since it was taken. */
const age = (key: string, seconds: number) =>
  api.sql(`UPDATE idempotency_keys SET created_at = created_at - $2 * interval '1 second', expires_at = expires_at - $2 * interval '1 second' WHERE key = $1`, [key, seconds]);

/** Polls PostgreSQL until `query` returns a count of at least `count` (the test waits on a state, not a time). */
async function waitForCount(query: string, count: number, target = api): Promise<void> {
  while (Number((await target.sql(query))[0].n) < count) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Installs a row trigger (dropped after the test, or earlier by calling what it returns); `body` is PL/pgSQL. */
async function trigger(name: string, when: string, table: string, body: string, target = api): Promise<() => Promise<unknown>> {
  await target.sql(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ ${body} $$`);
  await target.sql(`CREATE TRIGGER ${name} ${when} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await target.sql(`DROP TRIGGER ${name} ON ${table}; DROP FUNCTION ${name}()`);
  };
  cleanups.push(drop);
  return drop;
}

/** Makes storing (and forgetting) the response of `key` fail, as when PostgreSQL is lost after the action. */
const breakCompletion = (key: string) =>
  trigger(`fail_${key.replace(/\W/g, '_')}`, 'BEFORE UPDATE OR DELETE', 'idempotency_keys', `BEGIN
      IF OLD.key = '${key}' THEN RAISE EXCEPTION 'storage lost'; END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END`);

describe('Idempotency-Key lease', () => {
  it('a claim whose response could not be stored answers 409 only until its lease passes, then a retry acts', async () => {
    const repair = await breakCompletion('lost-1');
    const first = await createAgent('lost-1', 'lost-1');
    expect(first.status).toBe(201);
    const [row] = await api.sql(`SELECT response_status, expires_at - created_at = $1 * interval '1 second' AS leased FROM idempotency_keys WHERE key = 'lost-1'`, [LEASE_SECONDS]);
    expect(row).toEqual({ response_status: null, leased: true });
    await repair();

    const early = await createAgent('lost-1', 'lost-1');
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/in progress/);

    await age('lost-1', LEASE_SECONDS + 1);
    const retry = await createAgent('lost-1', 'lost-1');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await agentsNamed('lost-1')).toBe(2);

    const replay = await createAgent('lost-1', 'lost-1');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(retry.body.id);
  });

  it('keeps a completed response for 24 h, not just for the lease', async () => {
    const first = await createAgent('done-1', 'done-1');
    await age('done-1', LEASE_SECONDS + 1);
    const replay = await createAgent('done-1', 'done-1');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    expect(await agentsNamed('done-1')).toBe(1);
  });

  it('lets exactly one of two retries racing for an expired claim take it over', async () => {
    const repair = await breakCompletion('race-2');
    await createAgent('race-2', 'race-2');
    await repair();
    await age('race-2', LEASE_SECONDS + 1);

    // Both retries queue on the row's lock, then go at once.
    await control.query('BEGIN');
    cleanups.push(() => control.query('ROLLBACK'));
    await control.query(`SELECT 1 FROM idempotency_keys WHERE key = 'race-2' FOR UPDATE`);
    const replies = [createAgent('race-2', 'race-2'), createAgent('race-2', 'race-2')];
    await waitForCount(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`, 2);
    await control.query('COMMIT');
    const [a, b] = await Promise.all(replies);

    expect(await agentsNamed('race-2')).toBe(2);
    const actors = [a!, b!].filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    expect(actors).toHaveLength(1);
    const other = a === actors[0] ? b! : a!;
    if (other.status === 409) expect(other.body.error.message).toMatch(/in progress/);
    else expect(other.body.id).toBe(actors[0]!.body.id);
  });

  it('does not let a holder whose claim was taken over overwrite the new holder’s response', async () => {
    // The first request to store an agent named `held` waits inside its handler on advisory lock 8.
    await api.sql(`CREATE SEQUENCE held_calls`);
    cleanups.push(() => api.sql(`DROP SEQUENCE held_calls`));
    await trigger('hold_first', 'BEFORE INSERT', 'agent_versions', `BEGIN IF NEW.name = 'held' AND nextval('held_calls') = 1 THEN PERFORM pg_advisory_xact_lock(8); END IF; RETURN NEW; END`);
    await control.query('SELECT pg_advisory_lock(8)');
    cleanups.push(() => control.query('SELECT pg_advisory_unlock_all()'));

    const slow = createAgent('takeover', 'held');
    await waitForCount(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`, 1);
    await age('takeover', LEASE_SECONDS + 1);
    const fresh = await createAgent('takeover', 'held');
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();

    await control.query('SELECT pg_advisory_unlock(8)');
    expect((await slow).status).toBe(201);

    const replay = await createAgent('takeover', 'held');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(fresh.body.id);
  });

  it('stores the response anew when the claim vanished before the request finished, instead of answering 500', async () => {
    const restore = await trigger('vanish_claim', 'BEFORE INSERT', 'agent_versions', `BEGIN IF NEW.name = 'vanish' THEN DELETE FROM idempotency_keys WHERE key = 'vanish-1'; END IF; RETURN NEW; END`);
    const first = await createAgent('vanish-1', 'vanish');
    await restore();
    expect(first.status).toBe(201);

    const replay = await createAgent('vanish-1', 'vanish');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await agentsNamed('vanish')).toBe(1);
  });
});

describe('Idempotency-Key lease renewal', () => {
  // A lease of a few seconds, so that the holder's renewal (every third of it) shows while the test waits.
  let short: TestApi;
  let lock: Client;
  beforeAll(async () => {
    short = await startTestApi({ STRATUS_IDEMPOTENCY_LEASE_MS: '4000' });
    lock = new Client({ connectionString: short.db.url });
    await lock.connect();
  });
  afterAll(async () => {
    await lock.end();
    await short.close();
  });

  it('keeps renewing the lease of a request that is still running, so no retry takes it over', async () => {
    await trigger('hold_slow', 'BEFORE INSERT', 'agent_versions', `BEGIN IF NEW.name = 'slow' THEN PERFORM pg_advisory_xact_lock(9); END IF; RETURN NEW; END`, short);
    await lock.query('SELECT pg_advisory_lock(9)');
    cleanups.push(() => lock.query('SELECT pg_advisory_unlock_all()'));

    const request = () => short.request('POST', '/agents', { body: demoAgent({ name: 'slow' }), headers: { 'idempotency-key': 'slow-1' } });
    const slow = request();
    await waitForCount(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`, 1, short);
    // The lease it was first given has passed, but the claim was renewed past it.
    await waitForCount(`SELECT count(*) AS n FROM idempotency_keys WHERE key = 'slow-1' AND now() > created_at + interval '4 seconds'`, 1, short);
    expect(await short.sql(`SELECT response_status, expires_at > created_at + interval '4 seconds' AS renewed FROM idempotency_keys WHERE key = 'slow-1'`)).toEqual([{ response_status: null, renewed: true }]);
    const retry = await request();
    expect(retry.status).toBe(409);
    expect(retry.body.error.message).toMatch(/in progress/);

    await lock.query('SELECT pg_advisory_unlock(9)');
    const done = await slow;
    expect(done.status).toBe(201);
    const replay = await request();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(done.body.id);
  });
});
