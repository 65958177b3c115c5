import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SANDBOX_LIFECYCLE_PRODUCER } from '@stratus/nest-common';
import { sandboxReapJobId, type SandboxLifecycleProducer } from '@stratus/queues';
import { eventually, SANDBOX_RUNNER_ENTRY } from '@stratus/testing';
import { startKubeApiServer, type KubeApiServer } from '@stratus/testing/kube-api-server';
import { ofType, startStack, textOf, type Stack } from './harness';

// A session's turns with STRATUS_SANDBOX_PROVIDER=kubernetes, against the Kubernetes API test server
// (its fake kubelet runs the real sandbox runner): the worker is configured as in a cluster, by env.

const NAMESPACE = 'stratus-sandboxes';
let dir: string;
let server: KubeApiServer;
let stack: Stack;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(path.join(tmpdir(), 'wk-kube-')));
  server = await startKubeApiServer({ namespace: NAMESPACE, bookmarkIntervalMs: 500, kubelet: { runnerEntry: SANDBOX_RUNNER_ENTRY, workDir: path.join(dir, 'pods') } });
  await server.writeKubeconfig(path.join(dir, 'kubeconfig'));
  stack = await startStack({
    STRATUS_SANDBOX_PROVIDER: 'kubernetes',
    STRATUS_SANDBOX_KUBECONFIG: path.join(dir, 'kubeconfig'),
    STRATUS_SANDBOX_NAMESPACE: NAMESPACE,
    STRATUS_SANDBOX_RUNNER_IMAGE: 'ghcr.io/stratus/sandbox-runner:test',
    STRATUS_SANDBOX_START_TIMEOUT_MS: '10000',
    STRATUS_SANDBOX_IDLE_TIMEOUT_MS: '1500',
    STRATUS_SANDBOX_RECONCILE_INTERVAL_MS: '300',
  });
});
afterAll(async () => {
  await stack?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const jobsOf = (sessionId: string) => server.store.list('jobs', NAMESPACE).filter((job) => job.metadata.labels?.['stratus.dev/session-id'] === sessionId);

describe('the kubernetes provider', () => {
  it('runs a turn\'s tool in the session\'s Job, reaps the Job once idle and starts a new one for the next turn', async () => {
    const sessionId = await stack.session();
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'echo hello from the pod' } }] }, { kind: 'text', text: 'done' });
    await stack.send(sessionId, { type: 'user.message', content: 'say hello' });
    const events = await stack.idle(sessionId);
    expect(ofType(events, 'agent.tool_result')[0]).toMatchObject({ is_error: false });
    expect(textOf(ofType(events, 'agent.tool_result')[0])).toBe('hello from the pod');
    const [first] = jobsOf(sessionId);
    expect(first).toBeDefined();

    await eventually(async () => (jobsOf(sessionId).length === 0 ? true : undefined), 10_000, 'the idle Job to be reaped');

    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'echo again' } }] }, { kind: 'text', text: 'done' });
    await stack.send(sessionId, { type: 'user.message', content: 'again' });
    const later = await stack.idle(sessionId, 2);
    expect(textOf(ofType(later, 'agent.tool_result')[1])).toBe('again');
    expect(jobsOf(sessionId).map((job) => job.metadata.uid)).not.toContain(first!.metadata.uid);
    // Two Jobs started by turns, one reaped: a generous bound for a loaded machine, not a measure.
  }, 90_000);

  it('creates no Job for a session until its first tool call, like any provider', async () => {
    const sessionId = await stack.session();
    stack.model.script({ kind: 'text', text: 'just chatting' });
    await stack.send(sessionId, { type: 'user.message', content: 'hi' });
    await stack.idle(sessionId);
    expect(jobsOf(sessionId)).toEqual([]);
  });

  it('removes the Job of a session deleted while no worker was there to destroy it', async () => {
    const sessionId = await stack.session();
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'true' } }] }, { kind: 'text', text: 'done' });
    await stack.send(sessionId, { type: 'user.message', content: 'start it' });
    await stack.idle(sessionId);
    expect(jobsOf(sessionId)).toHaveLength(1);
    // Its idle reap is gone too, so only the reconciler can find the Job.
    await stack.app.get<SandboxLifecycleProducer>(SANDBOX_LIFECYCLE_PRODUCER).queue.remove(sandboxReapJobId(sessionId));
    // Jobs outlive the worker that made them; the destroy job and control message of this deletion never came.
    await stack.sql('DELETE FROM sessions WHERE id = $1', [sessionId]);
    await eventually(async () => (jobsOf(sessionId).length === 0 ? true : undefined), 10_000, 'the orphaned Job to be removed');
    expect(server.store.list('secrets', NAMESPACE).filter((secret) => secret.metadata.labels?.['stratus.dev/session-id'] === sessionId)).toEqual([]);
  });
});
