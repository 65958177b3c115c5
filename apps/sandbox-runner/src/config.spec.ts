import { ConfigError, loadConfig } from './config';

const valid = {
  STRATUS_RUNNER_TOKEN: 'a-long-enough-token',
  STRATUS_RUNNER_SOCKET: '/run/stratus/runner.sock',
  STRATUS_WORKSPACE_DIR: '/workspace',
};

describe('loadConfig', () => {
  it('parses a Unix socket configuration and defaults networking to none', () => {
    expect(loadConfig(valid)).toEqual({
      token: 'a-long-enough-token',
      listen: { socketPath: '/run/stratus/runner.sock' },
      workspaceDir: '/workspace',
      networking: { type: 'none' },
      exitOnStdinClose: false,
      commandEnv: {},
      maxCommandMs: 600_000,
    });
  });

  it('parses the session variables, the egress bridge settings and the command limit', () => {
    const config = loadConfig({
      ...valid,
      STRATUS_RUNNER_COMMAND_ENV: '{"LD_PRELOAD":"/workspace/x.so"}',
      STRATUS_RUNNER_EGRESS_SOCKET: '/opt/stratus/egress.sock',
      STRATUS_RUNNER_EGRESS_CREDENTIAL: 'sess_1:v1.abc.def',
      STRATUS_RUNNER_MAX_COMMAND_MS: '5000',
    });
    expect(config).toMatchObject({
      commandEnv: { LD_PRELOAD: '/workspace/x.so' },
      egress: { socketPath: '/opt/stratus/egress.sock', credential: 'sess_1:v1.abc.def' },
      maxCommandMs: 5000,
    });
  });

  it('parses a TCP configuration with the default host and the networking JSON', () => {
    const { STRATUS_RUNNER_SOCKET: _socket, ...tcp } = valid;
    const config = loadConfig({
      ...tcp,
      STRATUS_RUNNER_PORT: '8080',
      STRATUS_RUNNER_NETWORKING: '{"type":"allowed_hosts","allowed_hosts":["api.github.com"]}',
    });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.networking).toEqual({ type: 'allowed_hosts', allowed_hosts: ['api.github.com'] });
  });

  it.each([
    ['STRATUS_RUNNER_TOKEN', { ...valid, STRATUS_RUNNER_TOKEN: undefined }],
    ['STRATUS_RUNNER_TOKEN', { ...valid, STRATUS_RUNNER_TOKEN: 'short' }],
    ['STRATUS_WORKSPACE_DIR', { ...valid, STRATUS_WORKSPACE_DIR: 'relative/dir' }],
    ['STRATUS_RUNNER_NETWORKING', { ...valid, STRATUS_RUNNER_NETWORKING: 'not json' }],
    ['STRATUS_RUNNER_NETWORKING', { ...valid, STRATUS_RUNNER_NETWORKING: '{"type":"open"}' }],
    ['STRATUS_RUNNER_PORT', { ...valid, STRATUS_RUNNER_SOCKET: undefined, STRATUS_RUNNER_PORT: '99999' }],
    ['STRATUS_RUNNER_SOCKET', { ...valid, STRATUS_RUNNER_PORT: '8080' }],
    ['STRATUS_RUNNER_SOCKET', { ...valid, STRATUS_RUNNER_SOCKET: undefined }],
    ['STRATUS_RUNNER_COMMAND_ENV', { ...valid, STRATUS_RUNNER_COMMAND_ENV: '{"A":1}' }],
    ['STRATUS_RUNNER_EGRESS_CREDENTIAL', { ...valid, STRATUS_RUNNER_EGRESS_SOCKET: '/opt/stratus/egress.sock' }],
  ])('fails naming %s', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });
});
