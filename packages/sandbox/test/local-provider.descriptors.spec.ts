import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecResult } from '@stratus/sandbox-protocol';
import { removeSandboxBase } from '@stratus/testing';
import { startProviderProcess, type ProviderProcess } from './provider-process-harness';
import { makeBaseDir, OWNER, sandboxSpec } from './sandbox-harness';

/** Where the worker inherits the host file and the host pipe (as from a shell, a supervisor, a test runner). */
const FILE_FD = 42;
const PIPE_FD = 251;

/**
 * Inside the sandbox: for every process it can see (its own bash first), a line `fds <pid> <comm>:
 * <fd>=<target> …`, then `read <pid> <fd>: <bytes>` for whatever a descriptor above 2 yields, read
 * through the descriptor itself for bash's own and reopened through /proc for the others (which is
 * how another process's pipe or file is reached).
 */
const PROBE = `
list() { local out="fds $1 $(cat /proc/$1/comm 2>/dev/null):"; for f in /proc/$1/fd/*; do [ -e "$f" ] || [ -L "$f" ] || continue; out="$out \${f##*/}=$(readlink "$f")"; done; echo "$out"; }
list $$
for n in $(ls /proc/$$/fd); do [ "$n" -gt 2 ] && [ "$n" -ne 4 ] && echo "read $$ $n: $(timeout 1 dd bs=4096 count=1 status=none <&$n 2>/dev/null | tr -d '\\0')"; done
for p in /proc/[0-9]*; do p=\${p#/proc/}; [ "$p" = $$ ] && continue; [ -r /proc/$p/fd ] || { echo "hidden $p"; continue; }; list $p
  for f in /proc/$p/fd/*; do n=\${f##*/}; [ "$n" -gt 2 ] && echo "read $p $n: $(timeout 1 dd bs=4096 count=1 status=none if="$f" 2>/dev/null | tr -d '\\0')"; done; done
true`;

/** The host processes whose parent is `pid` and whose command is `comm`, each with its descriptors' targets. */
function childrenOf(pid: number, comm: string): Array<{ pid: number; fds: string[] }> {
  const children: Array<{ pid: number; fds: string[] }> = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (!status.includes(`\nPPid:\t${pid}\n`) || readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
      children.push({ pid: Number(entry), fds: readdirSync(`/proc/${entry}/fd`).map((fd) => readlinkSync(`/proc/${entry}/fd/${fd}`)) });
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/**
 * A sandboxed command must never hold a descriptor the worker inherited: from a shell, a supervisor
 * or systemd without close-on-exec, such a descriptor survives every exec on the way in (the entry
 * server, the one-shot entry, bubblewrap) unless something closes it. The provider runs in a process
 * of its own that inherits a host file and a host pipe, each holding a marker; real bubblewrap.
 */
describe('local sandbox: descriptors the worker inherited', () => {
  let base: Awaited<ReturnType<typeof makeBaseDir>>;
  let scratch: string;
  let worker: ProviderProcess;
  const marker = `marker-${randomBytes(8).toString('hex')}`;
  let probe: ExecResult;

  beforeAll(async () => {
    base = await makeBaseDir();
    scratch = await realpath(await mkdtemp(path.join(tmpdir(), 'descriptors-')));
    const file = path.join(scratch, 'host-file');
    await writeFile(file, `${marker} through the file\n`, { mode: 0o644 });
    const fifo = path.join(scratch, 'host-pipe');
    execFileSync('mkfifo', ['-m', '0666', fifo]);
    // Opened for reading and writing, so it neither blocks nor ever reads end-of-file.
    const pipe = openSync(fifo, 'r+');
    writeSync(pipe, `${marker} through the pipe\n`);
    const fileFd = openSync(file, 'r');
    worker = startProviderProcess({
      baseDir: base.baseDir,
      owner: OWNER,
      diskLimitBytes: 64 * 2 ** 20,
      spareWorkspaces: 0,
      session: sandboxSpec(),
      probes: [PROBE],
      inherit: { [FILE_FD]: fileFd, [PIPE_FD]: pipe },
    });
    closeSync(fileFd);
    closeSync(pipe);
    probe = await worker.next<ExecResult>('probe');
  }, 120_000);
  afterAll(async () => {
    await worker?.kill();
    await removeSandboxBase(base.baseDir);
    await rm(scratch, { recursive: true, force: true });
  });

  it("leaves a command's shell only its stdio and its status descriptor", () => {
    expect(probe.exit_code).toBe(0);
    const own = probe.stdout.split('\n')[0]!;
    const fds = own.split(':').slice(1).join(':').trim().split(' ').map((entry) => Number(entry.split('=')[0])).sort((a, b) => a - b);
    expect(fds).toEqual([0, 1, 2, 4]);
  });

  it('lets no process in the sandbox (its init, the runner, a command) reach the host file or pipe', () => {
    // The probe saw them all: bubblewrap as pid 1, the init's sleep and the file tools' runner (node).
    const seen = probe.stdout.split('\n').filter((line) => line.startsWith('fds ')).map((line) => line.split(' ').slice(1, 3).join(' '));
    expect(seen).toEqual(expect.arrayContaining(['1 bwrap:', expect.stringMatching(/^\d+ sleep:$/), expect.stringMatching(/^\d+ MainThread:$/)]));
    expect(probe.stdout).not.toContain(marker);
    expect(probe.stdout).not.toContain(scratch);
  });

  it("keeps them out of the worker's perl helpers (the entry server and the host helper among them)", () => {
    // Both are up: the launch had the host helper set bubblewrap's rlimits, the probe went through the entry server.
    const helpers = childrenOf(worker.pid, 'perl');
    expect(helpers.length).toBeGreaterThanOrEqual(2);
    for (const helper of helpers) expect(helper.fds.filter((target) => target.startsWith(scratch))).toEqual([]);
  });
});
