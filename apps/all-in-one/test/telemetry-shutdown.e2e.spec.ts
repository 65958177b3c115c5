import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDatabase, SANDBOX_RUNNER_ENTRY, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { OtlpReceiver } from './support/otlp-receiver';

// Each deployable, built, stopped with SIGTERM: the telemetry it has not exported yet goes out before
// it exits. Spans are batched for 10 minutes and metrics exported every 10 minutes here, so what the
// receiver gets can only come from the flush at shutdown.

const APPS = path.resolve(__dirname, '..', '..');
/** A path no route serves: its request still makes an HTTP server span, the one the test looks for. */
const PROBE_PATH = '/telemetry-flush-probe';

let db: TestDatabase;
let receiver: OtlpReceiver;
let sandboxDir: string;

beforeAll(async () => {
  db = await createTestDatabase('stratus_telemetry_flush');
  receiver = await OtlpReceiver.start();
  sandboxDir = await mkdtemp(path.join(tmpdir(), 'flush-'));
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await db?.drop();
  await rm(sandboxDir, { recursive: true, force: true });
});

/** Starts `apps/<app>/dist/main.js` with telemetry on; resolves with its URL once it logs it. */
async function start(app: string, service: string) {
  const child = spawn(process.execPath, [path.join(APPS, app, 'dist', 'main.js')], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: testRedisPrefix(),
      MIGRATE_ON_START: 'false',
      STRATUS_SANDBOX_DIR: sandboxDir,
      STRATUS_SANDBOX_RUNNER_ENTRY: SANDBOX_RUNNER_ENTRY,
      STRATUS_METRICS_PORT: '0',
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_METRIC_EXPORT_INTERVAL: '600000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /"msg":"Stratus[^"]*(http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`${app} exited (${code}) before it listened: ${stderr}`)));
  });
  return { child, url, exited };
}

describe.each([
  ['api', 'flush-api'],
  ['gateway', 'flush-gateway'],
  ['worker', 'flush-worker'],
  ['all-in-one', 'flush-all-in-one'],
])('%s stopped with SIGTERM', (app, service) => {
  it('exports the span of a request it served just before, and its metrics', async () => {
    const server = await start(app, service);
    expect((await fetch(`${server.url}${PROBE_PATH}`)).status).toBe(404);
    // Nothing is exported yet: the batch waits for 10 minutes.
    expect(receiver.spans.filter((span) => span.service === service)).toEqual([]);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const spans = receiver.spans.filter((span) => span.service === service);
    expect(spans).toContainEqual(expect.objectContaining({ kind: 2, attributes: expect.objectContaining({ 'url.path': PROBE_PATH }) }));
    expect(receiver.metricServices.has(service)).toBe(true);
  }, 120_000);
});
