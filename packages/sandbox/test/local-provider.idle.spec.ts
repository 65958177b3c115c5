import { readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { LocalSandboxProvider, RunnerClient, type SandboxHandle } from '../src';
import { eventually, makeBaseDir, OWNER, pidsWithArgument, recordingLogger, sandboxProcesses, sandboxSpec } from './sandbox-harness';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';

/** The parent of a host process, from /proc/<pid>/stat (the field after the state). */
async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The target RSS of an idle local sandbox (issue "Sandboxes at scale"). */
const IDLE_RSS_LIMIT_KIB = 8 * 1024;

/**
 * The shape of a local bubblewrap sandbox between calls: an init holding its namespaces and nothing
 * else; each command entering those namespaces; the file tools' runner started on demand and gone
 * once idle. Read from /proc on the host, never from timings.
 */
describe('idle local sandboxes', () => {
  let base: Awaited<ReturnType<typeof makeBaseDir>>;
  let provider: LocalSandboxProvider;
  const clients: RunnerClient[] = [];
  const connect = (handle: SandboxHandle) => {
    const client = RunnerClient.forHandle(handle);
    clients.push(client);
    return client;
  };
  const workspaceOf = (handle: SandboxHandle) => path.join(base.baseDir, handle.sessionId, 'workspace');
  const isNode = (exe: string) => path.basename(exe) === path.basename(process.execPath);
  const sh = async (client: RunnerClient, command: string) => client.exec({ command, timeout_ms: 20_000 });

  beforeAll(async () => {
    base = await makeBaseDir();
    provider = new LocalSandboxProvider({ logger: recordingLogger(), baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'bwrap', runnerIdleMs: 5000 });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await provider.shutdown();
    await base.remove();
  });

  it('holds no Node.js process between calls: the file tools start a runner that exits once idle', async () => {
    const handle = await provider.provision(sandboxSpec({ networking: { type: 'none' } }));
    const client = connect(handle);
    expect(await sh(client, 'echo hi > note.txt')).toMatchObject({ exit_code: 0 });
    const afterCommand = await sandboxProcesses(workspaceOf(handle));
    expect(afterCommand.length).toBeGreaterThan(0);
    expect(afterCommand.filter((proc) => isNode(proc.exe))).toEqual([]);
    expect(afterCommand.reduce((sum, proc) => sum + proc.rssKiB, 0)).toBeLessThanOrEqual(IDLE_RSS_LIMIT_KIB);

    // A file tool runs in the runner, which is there while it is used...
    expect(await client.read({ path: 'note.txt' })).toMatchObject({ content: 'hi' });
    expect((await sandboxProcesses(workspaceOf(handle))).filter((proc) => isNode(proc.exe))).toHaveLength(1);
    // ...and gone once idle; the next call starts it again.
    expect(await eventually(async () => (await sandboxProcesses(workspaceOf(handle))).every((proc) => !isNode(proc.exe)), 30_000)).toBe(true);
    expect(await client.write({ path: 'again.txt', content: 'x' })).toEqual({ path: 'again.txt', bytes_written: 1 });
    expect(await sh(client, 'cat again.txt')).toMatchObject({ stdout: 'x' });
  });

  it('runs the file tools confined as before: no symlink leads them out of the workspace, and they write as the sandbox user', async () => {
    const handle = await provider.provision(sandboxSpec());
    const client = connect(handle);
    expect(await sh(client, 'ln -s /etc/passwd passwd-link && ln -s /opt/stratus out-link')).toMatchObject({ exit_code: 0 });
    await expect(client.read({ path: 'passwd-link' })).rejects.toMatchObject({ name: 'RunnerError', status: 403 });
    await expect(client.write({ path: 'out-link/x', content: 'x' })).rejects.toMatchObject({ name: 'RunnerError', status: 403 });
    await expect(client.read({ path: '../../etc/hostname' })).rejects.toMatchObject({ name: 'RunnerError', status: 403 });
    await client.write({ path: 'mine.txt', content: 'x' });
    expect(await sh(client, 'stat -c %U mine.txt')).toMatchObject({ stdout: 'sandbox\n' });
  });

  it('runs each command in the namespaces, private /tmp and directory the previous one left', async () => {
    const client = connect(await provider.provision(sandboxSpec()));
    const other = connect(await provider.provision(sandboxSpec()));
    const namespaces = 'for ns in user mnt pid net ipc uts cgroup; do readlink /proc/self/ns/$ns; done';
    const first = await sh(client, `${namespaces}; echo kept > /tmp/between-calls; mkdir -p sub && cd sub`);
    const second = await sh(client, `${namespaces}; cat /tmp/between-calls; pwd`);
    expect(first.exit_code).toBe(0);
    const ids = first.stdout.trim().split('\n');
    expect(ids).toHaveLength(7);
    expect(second.stdout).toBe(`${ids.join('\n')}\nkept\n/workspace/sub\n`);
    // Another sandbox has namespaces of its own, every one of them.
    const others = (await sh(other, namespaces)).stdout.trim().split('\n');
    for (const [index, id] of ids.entries()) expect(others[index]).not.toBe(id);
    expect(await sh(other, 'cat /tmp/between-calls')).toMatchObject({ exit_code: 1 });
  });

  it('gives each command /dev/null on stdin and no descriptor of the script it was started with', async () => {
    const client = connect(await provider.provision(sandboxSpec({ networking: { type: 'none' } })));
    const result = await sh(client, 'cat; echo "cat $?"; readlink /proc/self/fd/0; [ -e /proc/self/fd/3 ] && echo "fd 3 open" || echo "fd 3 closed"');
    expect(result).toMatchObject({ exit_code: 0, stdout: 'cat 0\n/dev/null\nfd 3 closed\n' });
  });

  /** The host pids of a running command's shell, the entry fork above it and what started that fork. */
  async function commandAncestry(marker: string): Promise<{ shell: number; entry: number; starter: number }> {
    expect(await eventually(async () => (await pidsWithArgument(marker)).length === 1, 10_000)).toBe(true);
    const [sleep] = await pidsWithArgument(marker);
    const shell = await parentOf(sleep!);
    const entry = await parentOf(shell);
    return { shell, entry, starter: await parentOf(entry) };
  }

  it("starts every command from the worker's one resident entry server: a fork of it enters, its child is the command's shell", async () => {
    const client = connect(await provider.provision(sandboxSpec({ networking: { type: 'none' } })));
    const other = connect(await provider.provision(sandboxSpec({ networking: { type: 'none' } })));
    const abort = new AbortController();
    const calls = [
      client.exec({ command: 'sleep 30.84', timeout_ms: 20_000 }, { signal: abort.signal }).catch(() => undefined),
      other.exec({ command: 'sleep 30.85', timeout_ms: 20_000 }, { signal: abort.signal }).catch(() => undefined),
    ];
    try {
      const first = await commandAncestry('30.84');
      const second = await commandAncestry('30.85');
      expect(path.basename(await readlink(`/proc/${first.shell}/exe`))).toBe('bash');
      // One perl, compiled once and the worker's child, forks an entry per command (no program per command).
      expect(await readlink(`/proc/${first.entry}/exe`)).toBe(await realpath('/usr/bin/perl'));
      expect(first.starter).not.toBe(process.pid);
      expect(await readlink(`/proc/${first.starter}/exe`)).toBe(await realpath('/usr/bin/perl'));
      expect(await parentOf(first.starter)).toBe(process.pid);
      expect(second.starter).toBe(first.starter);
      expect(second.entry).not.toBe(first.entry);
    } finally {
      abort.abort();
      await Promise.all(calls);
    }
  });

  it('starts a new entry server after the old one was killed; a command it had started runs on and reports its result', async () => {
    const handle = await provider.provision(sandboxSpec({ networking: { type: 'none' } }));
    const client = connect(handle);
    const running = client.exec({ command: 'sleep 30.86 & while [ ! -e go ]; do sleep 0.05; done; kill $!; echo finished; exit 7', timeout_ms: 20_000 });
    const { starter } = await commandAncestry('30.86');
    expect(starter).not.toBe(process.pid);
    process.kill(starter, 'SIGKILL');
    expect(await eventually(async () => (await parentOf(starter).catch(() => 0)) !== process.pid, 10_000)).toBe(true);

    // The next command gets a new server, and lets the first one finish.
    const next = client.exec({ command: 'sleep 30.87 & touch go; wait', timeout_ms: 20_000 });
    const restarted = await commandAncestry('30.87');
    expect(restarted.starter).not.toBe(starter);
    expect(await parentOf(restarted.starter)).toBe(process.pid);
    expect(await running).toMatchObject({ exit_code: 7, stdout: 'finished\n' });
    process.kill(-restarted.entry, 'SIGKILL');
    await next.catch(() => undefined);
  });

  it('keeps what a command started in the background running between calls, under the init, until the sandbox goes', async () => {
    const spec = sandboxSpec();
    const client = connect(await provider.provision(spec));
    expect(await sh(client, 'sleep 30.81 > /dev/null 2>&1 & echo started')).toMatchObject({ exit_code: 0, stdout: 'started\n' });
    expect(await pidsWithArgument('30.81')).toHaveLength(1);
    // The next command sees it, reparented to the sandbox's init (pid 1) once its shell exited.
    const seen = await sh(client, 'for p in /proc/[0-9]*; do if tr "\\0" " " < $p/cmdline | grep -q "^sleep 30.81"; then grep PPid $p/status; fi; done');
    expect(seen.stdout).toBe('PPid:\t1\n');
    await provider.destroy(spec.sessionId);
    expect(await eventually(async () => (await pidsWithArgument('30.81')).length === 0, 20_000)).toBe(true);
  });
});
