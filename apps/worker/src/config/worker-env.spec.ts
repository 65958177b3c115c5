import { parseWorkerEnv, queueSettings } from './worker-env';

describe('parseWorkerEnv', () => {
  it('defaults to every queue at the default concurrency, with every variable a laptop needs', () => {
    const env = parseWorkerEnv({});
    expect(queueSettings(env)).toEqual([
      { queue: 'session-turns', concurrency: 32 },
      { queue: 'sandbox-lifecycle', concurrency: 32 },
      { queue: 'webhook-delivery', concurrency: 32 },
    ]);
    expect(env).toMatchObject({ STRATUS_TURN_MAX_ITERATIONS: 50, STRATUS_TOOL_RESULT_MAX_BYTES: 262_144, STRATUS_SANDBOX_PROVIDER: 'local', STRATUS_SANDBOX_ISOLATION: 'auto', STRATUS_SANDBOX_MAX_PER_WORKSPACE: 50, STRATUS_SANDBOX_MAX_PER_WORKER: 200, DATABASE_URL: expect.any(String) });
  });

  it('reads queues with their own concurrency, or the shared one', () => {
    expect(queueSettings(parseWorkerEnv({ STRATUS_WORKER_QUEUES: 'session-turns:8' }))).toEqual([{ queue: 'session-turns', concurrency: 8 }]);
    expect(queueSettings(parseWorkerEnv({ STRATUS_WORKER_QUEUES: ' session-turns ', STRATUS_WORKER_CONCURRENCY: '4' }))).toEqual([{ queue: 'session-turns', concurrency: 4 }]);
    expect(queueSettings(parseWorkerEnv({ STRATUS_WORKER_QUEUES: '' }))).toEqual([]);
  });

  it.each([
    ['STRATUS_WORKER_QUEUES', 'session-turns,webhooks', /STRATUS_WORKER_QUEUES: unknown queue "webhooks"/],
    ['STRATUS_WORKER_QUEUES', 'session-turns:0', /STRATUS_WORKER_QUEUES: "session-turns:0"/],
    ['STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS', 'localhost:http', /STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: "localhost:http"/],
    ['STRATUS_WEBHOOK_RETRY_SCHEDULE_MS', '5s,30s', /STRATUS_WEBHOOK_RETRY_SCHEDULE_MS: must be comma-separated delays/],
    ['STRATUS_WORKER_QUEUES', 'session-turns,session-turns', /listed twice/],
    ['STRATUS_WORKER_CONCURRENCY', 'many', /STRATUS_WORKER_CONCURRENCY/],
    ['STRATUS_SANDBOX_ISOLATION', 'docker', /STRATUS_SANDBOX_ISOLATION/],
    ['STRATUS_MODEL_TIMEOUT_MS', '-1', /STRATUS_MODEL_TIMEOUT_MS/],
    ['STRATUS_SANDBOX_MAX_PER_WORKSPACE', '0', /STRATUS_SANDBOX_MAX_PER_WORKSPACE/],
    ['STRATUS_SANDBOX_MAX_PER_WORKER', 'lots', /STRATUS_SANDBOX_MAX_PER_WORKER/],
    ['STRATUS_TOOL_RESULT_MAX_BYTES', '1000', /STRATUS_TOOL_RESULT_MAX_BYTES/],
    ['REDIS_URL', 'not a url', /REDIS_URL/],
    ['STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS', '10.0.0.1:99999', /STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: "10.0.0.1:99999"/],
    ['STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS', 'http://mcp.internal', /STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS/],
  ])('fails fast naming %s when it is %j', (name, value, message) => {
    expect(() => parseWorkerEnv({ [name]: value })).toThrow(message);
  });

  it('reads the outbound allow-list of private hosts, empty by default', () => {
    expect(parseWorkerEnv({}).STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS).toEqual([]);
    expect(parseWorkerEnv({ STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: 'mcp.internal:8443, 127.0.0.1:*,[::1]' }).STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS).toEqual([
      { host: 'mcp.internal', port: 8443 },
      { host: '127.0.0.1', port: '*' },
      { host: '::1', port: 'default' },
    ]);
  });

  it('keeps the servers’ NODE_ENV default beside the sandbox settings', () => {
    expect(parseWorkerEnv({}).NODE_ENV).toBe('development');
  });

  it('applies the rules across variables of every server and of the sandbox provider', () => {
    expect(() => parseWorkerEnv({ NODE_ENV: 'production' })).toThrow(/STRATUS_ENCRYPTION_KEY/);
    expect(() => parseWorkerEnv({ STRATUS_SANDBOX_PROVIDER: 'kubernetes' })).toThrow(/STRATUS_SANDBOX_RUNNER_IMAGE/);
  });
});
