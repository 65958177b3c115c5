import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runnerReadyLine } from '@stratus/sandbox-protocol';
import { Agent, request } from 'undici';
import { startKubeApiServer, type KubeApiServer } from '../src/kube-api-server';

const NS = 'sandboxes';
const JOBS = `/apis/batch/v1/namespaces/${NS}/jobs`;
const PODS = `/api/v1/namespaces/${NS}/pods`;
const SECRETS = `/api/v1/namespaces/${NS}/secrets`;

const job = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, labels },
  spec: { backoffLimit: 0, template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image: 'runner:1' }] } }, ...extra },
});

describe('Kubernetes API test server', () => {
  let dir: string;
  let server: KubeApiServer;
  let agent: Agent;

  const call = async (method: string, url: string, body?: unknown, contentType = 'application/json', token = server.token) => {
    const response = await request(`${server.url}${url}`, {
      method: method as 'GET',
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.statusCode, body: (await response.body.json()) as any };
  };

  /** Opens a watch and collects its events until `until` holds for them. */
  const watchUntil = async (query: string, until: (events: any[]) => boolean) => {
    const controller = new AbortController();
    const response = await request(`${server.url}${JOBS}?watch=true&${query}`, { dispatcher: agent, headers: { authorization: `Bearer ${server.token}` }, signal: controller.signal });
    const events: any[] = [];
    let buffered = '';
    try {
      for await (const chunk of response.body) {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        events.push(...lines.map((l) => JSON.parse(l)));
        if (until(events)) break;
      }
    } catch {
      // the server ended the stream
    } finally {
      controller.abort();
    }
    return events;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kube-api-'));
    const entry = path.join(dir, 'runner.js');
    // A stand-in runner: prints the real ready line (its address is the pod IP the kubelet gives it) and waits.
    const readyLine = JSON.stringify(runnerReadyLine('%s'));
    await writeFile(entry, `process.stdout.write(${readyLine}.replace('%s', process.env.STRATUS_RUNNER_HOST)); setInterval(() => {}, 1000); process.on('SIGTERM', () => process.exit(0));`);
    server = await startKubeApiServer({ kubelet: { runnerEntry: entry, workDir: path.join(dir, 'pods') }, bookmarkIntervalMs: 50 });
    agent = new Agent({ connect: { ca: server.certificateAuthority } });
  });
  afterAll(async () => {
    await agent.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves TLS that only its own CA verifies, and wants the bearer token', async () => {
    await expect(request(`${server.url}${JOBS}`)).rejects.toThrow(/self-signed|certificate/);
    expect(await call('GET', JOBS, undefined, 'application/json', 'wrong')).toMatchObject({ status: 401, body: { kind: 'Status', reason: 'Unauthorized', code: 401 } });
  });

  it('creates, gets and lists with label selectors, and answers errors with Status objects', async () => {
    const created = await call('POST', JOBS, job('alpha', { tier: 'a', team: 'x' }));
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({ name: 'alpha', namespace: NS, uid: expect.any(String), resourceVersion: expect.stringMatching(/^\d+$/) });
    expect(created.body.spec.template.metadata.labels).toMatchObject({ 'batch.kubernetes.io/job-name': 'alpha', 'batch.kubernetes.io/controller-uid': created.body.metadata.uid });
    await call('POST', JOBS, job('beta', { tier: 'b' }));
    expect((await call('GET', `${JOBS}/alpha`)).body.metadata.uid).toBe(created.body.metadata.uid);

    const names = async (selector: string) => (await call('GET', `${JOBS}?labelSelector=${encodeURIComponent(selector)}`)).body.items.map((i: any) => i.metadata.name).sort();
    expect(await names('tier=a')).toEqual(['alpha']);
    expect(await names('tier in (a,b)')).toEqual(['alpha', 'beta']);
    expect(await names('tier!=a')).toEqual(['beta']);
    expect(await names('team')).toEqual(['alpha']);
    expect(await names('!team,tier')).toEqual(['beta']);
    const list = await call('GET', JOBS);
    expect(list.body).toMatchObject({ kind: 'JobList', apiVersion: 'batch/v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });

    expect(await call('GET', `${JOBS}/missing`)).toMatchObject({
      status: 404,
      body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'jobs.batch "missing" not found', details: { name: 'missing', group: 'batch', kind: 'jobs' } },
    });
    expect(await call('POST', JOBS, job('alpha'))).toMatchObject({ status: 409, body: { reason: 'AlreadyExists', message: 'jobs.batch "alpha" already exists' } });
  });

  it('rejects objects that fail the OpenAPI schema or the API rules with 422 Invalid and the fields', async () => {
    const bad = job('gamma');
    (bad.spec.template.spec.containers[0] as Record<string, unknown>).resources = { limits: { cpu: 'lots' } };
    const schema = await call('POST', JOBS, bad);
    expect(schema).toMatchObject({ status: 422, body: { reason: 'Invalid', details: { causes: expect.arrayContaining([expect.objectContaining({ field: 'spec.template.spec.containers.0.resources.limits.cpu' })]) } } });
    const always = job('delta');
    always.spec.template.spec.restartPolicy = 'Always';
    expect(await call('POST', JOBS, always)).toMatchObject({ status: 422, body: { message: expect.stringContaining('spec.template.spec.restartPolicy') } });
    expect(await call('POST', JOBS, job('Not_A_Name'))).toMatchObject({ status: 422, body: { message: expect.stringContaining('metadata.name') } });
    expect(await call('POST', JOBS, job('epsilon', { 'stratus.dev/session-id': 'x'.repeat(64) }))).toMatchObject({ status: 422 });
    expect((await call('GET', `${JOBS}/gamma`)).status).toBe(404);
  });

  it('patches with JSON Patch and merge patch, and keeps immutable Secrets immutable', async () => {
    await call('POST', SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, immutable: true, stringData: { token: 'abc' } });
    const secret = (await call('GET', `${SECRETS}/s1`)).body;
    expect(secret.data).toEqual({ token: Buffer.from('abc').toString('base64') });
    expect(secret.stringData).toBeUndefined();
    const owner = { apiVersion: 'batch/v1', kind: 'Job', name: 'alpha', uid: (await call('GET', `${JOBS}/alpha`)).body.metadata.uid };
    const patched = await call('PATCH', `${SECRETS}/s1`, [{ op: 'add', path: '/metadata/ownerReferences', value: [owner] }], 'application/json-patch+json');
    expect(patched.body.metadata.ownerReferences).toEqual([owner]);
    expect(await call('PATCH', `${SECRETS}/s1`, { data: { token: 'eHl6' } }, 'application/merge-patch+json')).toMatchObject({ status: 422, body: { message: expect.stringContaining('immutable') } });
    expect(await call('PATCH', `${JOBS}/alpha`, { metadata: { labels: { tier: null, claimed: 'yes' } } }, 'application/merge-patch+json')).toMatchObject({ status: 200 });
    expect((await call('GET', `${JOBS}/alpha`)).body.metadata.labels).toEqual({ team: 'x', claimed: 'yes' });
    expect((await call('PATCH', `${JOBS}/alpha`, {}, 'application/apply-patch+yaml')).status).toBe(415);
    expect(await call('PUT', `${JOBS}/alpha`, { ...(await call('GET', `${JOBS}/alpha`)).body, metadata: { name: 'alpha', resourceVersion: '1' } })).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
  });

  it('watches from a resourceVersion, tells label-selector entries and exits, sends bookmarks, and answers 410 once compacted', async () => {
    const from = (await call('GET', JOBS)).body.metadata.resourceVersion as string;
    await call('POST', JOBS, job('zeta', { watched: 'yes' }));
    await call('PATCH', `${JOBS}/zeta`, [{ op: 'remove', path: '/metadata/labels/watched' }], 'application/json-patch+json');
    const events = await watchUntil(`resourceVersion=${from}&labelSelector=watched%3Dyes&allowWatchBookmarks=true`, (e) => e.some((x) => x.type === 'BOOKMARK'));
    const changes = events.filter((e) => e.type !== 'BOOKMARK');
    // ADDED when it appears, MODIFIED while the Job controller writes its status, DELETED when the label goes.
    expect(changes[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'zeta' } } });
    expect(changes.slice(1, -1).every((e) => e.type === 'MODIFIED')).toBe(true);
    expect(changes.at(-1)).toMatchObject({ type: 'DELETED', object: { metadata: { name: 'zeta', labels: {} } } });
    expect(events.at(-1)).toMatchObject({ type: 'BOOKMARK', object: { kind: 'Job', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } } });
    server.store.compact();
    expect(await watchUntil(`resourceVersion=${from}`, () => false)).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);
  });

  it('runs a Job pod on its own loopback IP, and orphans its pods on a plain DELETE as batch/v1 does', async () => {
    await call('POST', JOBS, job('orphaner', { app: 'o' }));
    const podOf = async () => (await call('GET', `${PODS}?labelSelector=batch.kubernetes.io%2Fjob-name%3Dorphaner`)).body.items[0];
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
    };
    await until(async () => (await podOf())?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') === true);
    const pod = await podOf();
    expect(pod.status).toMatchObject({ phase: 'Running', podIP: expect.stringMatching(/^127\.\d+\.\d+\.\d+$/) });
    expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name: 'orphaner', controller: true })]);
    expect((await call('DELETE', `${JOBS}/orphaner`)).body).toMatchObject({ kind: 'Status', status: 'Success' });
    await until(async () => (await podOf())?.metadata.ownerReferences === undefined);
    expect((await podOf()).metadata.ownerReferences).toBeUndefined();
    await call('DELETE', `${PODS}/${pod.metadata.name}`);
    await until(async () => (await podOf()) === undefined);
    expect(await podOf()).toBeUndefined();
  });
});
