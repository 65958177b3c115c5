import { bwrapArgs, type BwrapSandbox } from './bwrap';

const sandbox: BwrapSandbox = {
  workspaceDir: '/srv/sandboxes/s1/workspace',
  runDir: '/srv/sandboxes/s1/run',
  networking: { type: 'unrestricted' },
  hiddenDirs: ['/tmp', '/srv/sandboxes', '/root'],
  readOnlyPaths: ['/tmp/node/bin/node', '/usr/lib/stratus/sandbox-runner'],
};

/** The values following each occurrence of `flag`. */
const valuesOf = (args: string[], flag: string, arity = 1) =>
  args.flatMap((arg, i) => (arg === flag ? [args.slice(i + 1, i + 1 + arity).join(' ')] : []));

describe('bwrapArgs', () => {
  it('unshares every namespace and drops capabilities, sharing the network only when the policy allows traffic', () => {
    const open = bwrapArgs(sandbox);
    expect(open).toEqual(expect.arrayContaining(['--unshare-all', '--share-net', '--die-with-parent', '--cap-drop', 'ALL']));
    expect(bwrapArgs({ ...sandbox, networking: { type: 'none' } })).not.toContain('--share-net');
    expect(bwrapArgs({ ...sandbox, networking: { type: 'allowed_hosts', allowed_hosts: ['api.github.com'] } })).toContain('--share-net');
  });

  it('mounts the root read-only and only the workspace and run directories writable, after the tmpfs that hide their parents', () => {
    const args = bwrapArgs(sandbox);
    expect(valuesOf(args, '--ro-bind', 2)[0]).toBe('/ /');
    expect(valuesOf(args, '--bind', 2)).toEqual([
      '/srv/sandboxes/s1/workspace /srv/sandboxes/s1/workspace',
      '/srv/sandboxes/s1/run /srv/sandboxes/s1/run',
    ]);
    expect(args.lastIndexOf('--tmpfs')).toBeLessThan(args.indexOf('--bind'));
    expect(valuesOf(args, '--chdir')).toEqual(['/srv/sandboxes/s1/workspace']);
  });

  it('hides directories with a tmpfs, outermost first, and never the root', () => {
    const args = bwrapArgs({ ...sandbox, hiddenDirs: ['/tmp/sandboxes', '/tmp', '/', '/root'] });
    expect(valuesOf(args, '--tmpfs')).toEqual(['/tmp', '/root']);
  });

  it('re-exposes read-only only the needed paths that a hidden directory covers', () => {
    expect(valuesOf(bwrapArgs(sandbox), '--ro-bind', 2)).toEqual(['/ /', '/tmp/node/bin/node /tmp/node/bin/node']);
  });
});
