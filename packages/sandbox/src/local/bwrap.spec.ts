import { bwrapArgs, commonRoot, runnerPathInside, type BwrapSandbox } from './bwrap';
import { hostLaunch } from './host-launch';

const sandbox: BwrapSandbox = {
  workspaceDir: '/srv/sandboxes/s1/workspace',
  runDir: '/srv/sandboxes/s1/run',
  passwdFile: '/srv/sandboxes/s1/etc/passwd',
  groupFile: '/srv/sandboxes/s1/etc/group',
  nodePath: '/opt/node/bin/node',
  runnerCode: { root: '/src/stratus', paths: ['/src/stratus/apps/sandbox-runner', '/src/stratus/node_modules'] },
  egressSocket: '/srv/sandboxes/egress.sock',
  tmpBytes: 1024,
  env: { PATH: '/usr/bin', STRATUS_RUNNER_TOKEN: 'secret' },
  system: [
    { kind: 'dir', path: '/usr' },
    { kind: 'symlink', path: '/bin', target: 'usr/bin' },
    { kind: 'dir', path: '/etc/ssl/certs' },
  ],
};

/** The values following each occurrence of `flag`. */
const valuesOf = (args: readonly string[], flag: string, arity = 1) =>
  args.flatMap((arg, i) => (arg === flag ? [args.slice(i + 1, i + 1 + arity).join(' ')] : []));

/** fd 3's arguments followed by the command line's, as bwrap sees them. */
const all = (sandbox: BwrapSandbox): string[] => {
  const { fromFd, onCommandLine } = bwrapArgs(sandbox);
  return [...fromFd, ...onCommandLine];
};

describe('bwrapArgs', () => {
  it('unshares every namespace including the network, maps an unprivileged uid and forbids nested user namespaces', () => {
    const args = all(sandbox);
    expect(args).toEqual(expect.arrayContaining(['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--clearenv']));
    expect(args).not.toContain('--share-net');
    expect(valuesOf(args, '--uid')).toEqual(['1000']);
    expect(valuesOf(args, '--cap-drop')).toEqual(['ALL']);
  });

  it('never binds the root: only the allow-listed system paths read-only, the generated passwd and group, node and the runner at neutral paths', () => {
    const args = all(sandbox);
    expect(valuesOf(args, '--ro-bind', 2)).toEqual([
      '/usr /usr',
      '/etc/ssl/certs /etc/ssl/certs',
      '/srv/sandboxes/s1/etc/passwd /etc/passwd',
      '/srv/sandboxes/s1/etc/group /etc/group',
      '/opt/node/bin/node /opt/stratus/bin/node',
      '/src/stratus/apps/sandbox-runner /opt/stratus/runner/apps/sandbox-runner',
      '/src/stratus/node_modules /opt/stratus/runner/node_modules',
    ]);
    expect(valuesOf(args, '--symlink', 2)).toEqual(['usr/bin /bin']);
    expect(valuesOf(args, '--size', 3)).toEqual(['1024 --tmpfs /tmp']);
  });

  it('makes only the workspace, the run directory and the proxy socket writable, then the root read-only', () => {
    const args = all(sandbox);
    expect(valuesOf(args, '--bind', 2)).toEqual([
      '/srv/sandboxes/egress.sock /opt/stratus/egress.sock',
      '/srv/sandboxes/s1/run /opt/stratus/run',
      '/srv/sandboxes/s1/workspace /workspace',
    ]);
    expect(valuesOf(args, '--remount-ro')).toEqual(['/']);
    expect(args.indexOf('--remount-ro')).toBeGreaterThan(args.lastIndexOf('--bind'));
    expect(valuesOf(args, '--chdir')).toEqual(['/workspace']);
    expect(valuesOf(all({ ...sandbox, egressSocket: undefined }), '--bind', 2)).toHaveLength(2);
  });

  it('keeps the environment off the command line, which shows only the workspace mount', () => {
    const { fromFd, onCommandLine } = bwrapArgs(sandbox);
    expect(fromFd).toContain('secret');
    expect(onCommandLine).toEqual(['--bind', '/srv/sandboxes/s1/workspace', '/workspace', '--remount-ro', '/', '--chdir', '/workspace']);
  });

  it('clears the environment and sets only the given variables', () => {
    const args = all(sandbox);
    expect(args.indexOf('--clearenv')).toBeLessThan(args.indexOf('--setenv'));
    expect(valuesOf(args, '--setenv', 2)).toEqual(['PATH /usr/bin', 'STRATUS_RUNNER_TOKEN secret']);
  });

  it('keeps the runner layout relative to its common root', () => {
    expect(commonRoot(['/src/stratus/apps/sandbox-runner', '/src/stratus/node_modules'])).toBe('/src/stratus');
    expect(runnerPathInside(sandbox.runnerCode, '/src/stratus/apps/sandbox-runner/dist/main.js')).toBe('/opt/stratus/runner/apps/sandbox-runner/dist/main.js');
  });
});

describe('hostLaunch', () => {
  it('spawns bwrap behind a perl that closes inherited descriptors, as the sandbox uid, and joins the cgroups and sets the rlimits before bwrap reads its arguments', async () => {
    const launch = {
      cgroupProcsFiles: [] as string[],
      rlimits: { fileBytes: 100, openFiles: 64, processes: 32 },
      hostUid: 200_001,
      bwrapPath: '/usr/bin/bwrap',
      bwrapArgs: ['--chdir', '/workspace'],
      command: ['/opt/stratus/bin/node', 'main.js'],
      keepFds: 5,
    };
    const limited: Array<[number, Array<[number, number]>]> = [];
    const spawned = hostLaunch(launch, async (pid, rlimits) => void limited.push([pid, rlimits]));
    expect(spawned).toMatchObject({ command: '/usr/bin/perl', uid: 200_001, gid: 200_001 });
    expect(spawned.args.slice(2)).toEqual(['--', '5', '/usr/bin/bwrap', '--args', '3', '--chdir', '/workspace', '--', '/opt/stratus/bin/node', 'main.js']);
    await spawned.beforeArguments(4242);
    // RLIMIT_CORE 0, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_NPROC.
    expect(limited).toEqual([[4242, [[4, 0], [1, 100], [7, 64], [6, 32]]]]);
    expect(hostLaunch({ ...launch, hostUid: undefined }, async () => undefined)).not.toHaveProperty('uid');
  });
});
