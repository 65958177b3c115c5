import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDatabase, eventually, removeSandboxBase, startScriptedModel, testRedisPrefix, type ScriptedModel, type TestDatabase } from '@stratus/testing';
import { allEvents, MODEL, newSession, ofType, scriptedProviders, stackEnv, startApi, textOf, type InProcessApi } from './harness';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server';
import { WORKER_MAIN } from './worker-process';

// An MCP call follows the built-in tools' takeover rule: its use is committed before the call starts,
// and a worker killed during the call leaves it to another, which reports it as interrupted to the
// model instead of calling the server again. Two real worker processes, built as deployed.


interface WorkerProcess {
  child: ChildProcess;
  started: Set<string>;
  exited: Promise<number | null>;
}

let db: TestDatabase;
let model: ScriptedModel;
let mcp: TestMcpServer;
let api: InProcessApi;
let sandboxDir: string;
let workerEnv: Record<string, string>;
const workers: WorkerProcess[] = [];

function startWorker(): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [WORKER_MAIN], { env: { ...process.env, ...workerEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const worker: WorkerProcess = { child, started: new Set(), exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: { msg?: string; sessionId?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (entry.msg === 'turn job started' && entry.sessionId) worker.started.add(entry.sessionId);
      if (entry.msg?.startsWith('Stratus worker running')) resolve(worker);
    });
    void worker.exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready: ${stderr}`)));
  });
}

beforeAll(async () => {
  db = await createTestDatabase('stratus_mcp_takeover');
  model = await startScriptedModel({ models: [MODEL] });
  mcp = await startTestMcpServer('unused');
  sandboxDir = await realpath(await mkdtemp(path.join(tmpdir(), 'wk-')));
  workerEnv = {
    ...stackEnv(db, testRedisPrefix(), sandboxDir, {
      LOG_LEVEL: 'debug',
      STRATUS_WORKER_LOCK_MS: '2000',
      STRATUS_WORKER_STALLED_INTERVAL_MS: '1000',
      STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${mcp.port}`,
    }),
    STRATUS_MODEL_PROVIDERS: scriptedProviders(model),
  };
  process.env.STRATUS_MODEL_PROVIDERS = workerEnv.STRATUS_MODEL_PROVIDERS;
  api = await startApi(workerEnv);
  workers.push(...(await Promise.all([startWorker(), startWorker()])));
}, 120_000);

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  await api?.app.close();
  await model?.close();
  await mcp?.close();
  await db?.drop();
  await removeSandboxBase(sandboxDir);
  delete process.env.STRATUS_MODEL_PROVIDERS;
}, 120_000);

it('a worker killed during an MCP call: another resumes the turn and reports the call as interrupted without calling again', async () => {
  const sessionId = await newSession(api.stratus, {
    agent: { tools: [{ type: 'mcp_toolset', mcp_server_name: 'weather' }], mcp_servers: [{ type: 'url', name: 'weather', url: mcp.url }] },
  });
  model.script({ kind: 'tool_calls', calls: [{ name: 'mcp__weather__stall', arguments: {} }] }, { kind: 'text', text: 'done' });
  await api.stratus.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: 'go' }] });

  await eventually(async () => (mcp.calls.some((c) => c.tool === 'stall') ? true : undefined), 10_000, 'the MCP call to reach the server');
  const owner = await eventually(async () => workers.find((w) => w.child.exitCode === null && w.started.has(sessionId)), 10_000, 'the worker running the turn');
  owner.child.kill('SIGKILL');

  const log = await eventually(
    async () => {
      const all = await allEvents(api.stratus, sessionId);
      return all.at(-1)?.type === 'session.status_idle' ? all : undefined;
    },
    30_000,
    'the turn to end on the other worker',
  );
  expect(workers.some((w) => w !== owner && w.started.has(sessionId))).toBe(true);
  const [use] = ofType(log, 'agent.mcp_tool_use');
  const results = ofType(log, 'agent.mcp_tool_result');
  expect(results).toEqual([expect.objectContaining({ mcp_tool_use_id: use.id, is_error: true })]);
  expect(textOf(results[0])).toMatch(/not repeated/);
  expect(mcp.calls.filter((c) => c.tool === 'stall')).toHaveLength(1);
  expect(log.at(-1).stop_reason).toEqual({ type: 'end_turn' });
}, 120_000);
