import { EnvironmentLimits } from '../src/environments/environment-limits';
import { demoEnvironment, expectError, startTestApi, type TestApi } from './harness';

const LIMITS = {
  STRATUS_SANDBOX_ALLOWED_IMAGES: 'ghcr.io/acme/*, python:3.12-*',
  STRATUS_ENVIRONMENT_MAX_CPU: '2',
  STRATUS_ENVIRONMENT_MAX_MEMORY: '4Gi',
};

/** The operator's limits on environments (read from the process env at boot, as a deployment sets them). */
describe('environment limits', () => {
  let api: TestApi;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    for (const [name, value] of Object.entries(LIMITS)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const create = (config: Record<string, unknown>) => api.request('POST', '/environments', { body: demoEnvironment({ config: { type: 'cloud', ...config } }) });

  it('accepts images that match an allowed pattern, and the default runner image', async () => {
    for (const image of ['ghcr.io/acme/python:3.12', 'python:3.12-slim', undefined]) {
      const reply = await create(image === undefined ? {} : { image });
      expect({ image, status: reply.status }).toEqual({ image, status: 201 });
    }
  });

  it('refuses any other image with a 400 naming config.image, on create and on update', async () => {
    for (const image of ['docker.io/evil/miner:latest', 'ghcr.io/acme/team/python:3.12', 'python:3.11-slim', 'ghcr.io/acme']) {
      const reply = await create({ image });
      expectError(reply, 400, 'invalid_request_error', 'config.image');
      expect(reply.body.error.message).toContain(`Image "${image}" is not allowed`);
    }
    const { body: env } = await create({ image: 'python:3.12-slim' });
    expectError(await api.request('POST', `/environments/${env.id}`, { body: { config: { type: 'cloud', image: 'docker.io/evil/miner:latest' } } }), 400, 'invalid_request_error', 'config.image');
    expect((await api.request('GET', `/environments/${env.id}`)).body.config.image).toBe('python:3.12-slim');
  });

  it('refuses cpu or memory above the maximum with a 400, on create and on update', async () => {
    expect((await create({ resources: { cpu: '2000m', memory: '4096Mi' } })).status).toBe(201);
    expectError(await create({ resources: { cpu: '2.5', memory: '1Gi' } }), 400, 'invalid_request_error', 'config.resources.cpu');
    expectError(await create({ resources: { cpu: '1', memory: '5Gi' } }), 400, 'invalid_request_error', 'config.resources.memory');
    expectError(await create({ resources: { cpu: '1', memory: '5000000000' } }), 400, 'invalid_request_error', 'config.resources.memory');
    const { body: env } = await create({});
    expectError(await api.request('POST', `/environments/${env.id}`, { body: { config: { type: 'cloud', resources: { cpu: '8', memory: '1Gi' } } } }), 400, 'invalid_request_error', 'config.resources.cpu');
    expect((await api.request('GET', `/environments/${env.id}`)).body.config.resources).toEqual({ cpu: '1', memory: '2Gi' });
  });

  it('refuses to boot on a malformed limit, naming the variable', () => {
    expect(() => EnvironmentLimits.fromEnv({ STRATUS_ENVIRONMENT_MAX_CPU: 'lots', STRATUS_ENVIRONMENT_MAX_MEMORY: '4 GB' })).toThrow(
      /STRATUS_ENVIRONMENT_MAX_CPU: must be a CPU quantity[\s\S]*STRATUS_ENVIRONMENT_MAX_MEMORY: must be a memory quantity/,
    );
  });
});
