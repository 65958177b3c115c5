import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import type { Networking } from '@stratus/contracts';
import { LocalSandboxProvider, RunnerClient, type SandboxHandle } from '../src';
import { eventually, makeBaseDir, OWNER, pidsWithArgument, recordingLogger, sandboxProcesses, sandboxSpec, startLoopbackServer } from './sandbox-harness';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';

/** The checkout this test runs from: nothing of it may be visible inside a sandbox. */
const CHECKOUT = path.resolve(__dirname, '../../..');

/**
 * The sandboxes' time limit: shorter than what the time-limit test asks for, longer than the kernel
 * takes to reclaim and then OOM-kill a 1 GiB allocation under 256Mi on a loaded machine (seconds).
 */
const COMMAND_LIMIT_MS = 10_000;

/** Whether something on the host accepts TCP on 127.0.0.1:port (so a refusal inside means something). */
async function hostListens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** pids.max of the cgroup a host process is in (v1 pids hierarchy, or v2). */
async function pidsMaxOf(pid: number): Promise<string> {
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  const v1 = lines.find((line) => /^\d+:([^:]*,)?pids(,[^:]*)?:/.test(line));
  const cgroupPath = (v1 ?? lines.find((line) => line.startsWith('0::')) ?? '').replace(/^\d+:[^:]*:/, '');
  const file = v1 !== undefined ? `/sys/fs/cgroup/pids${cgroupPath}/pids.max` : `/sys/fs/cgroup${cgroupPath}/pids.max`;
  return (await readFile(file, 'utf8').catch(() => 'max')).trim();
}

/**
 * What a session's sandbox cannot do to the host under bubblewrap: run code there through its
 * environment, reach services on the host's loopback, see the host's files, or exhaust its memory,
 * processes or time. Real bubblewrap, real cgroups (the worker runs as root here), real commands.
 */
describe('local sandbox isolation', () => {
  let base: Awaited<ReturnType<typeof makeBaseDir>>;
  let provider: LocalSandboxProvider;
  let scratch: string;
  const clients: RunnerClient[] = [];
  const connect = (handle: SandboxHandle) => {
    const client = RunnerClient.forHandle(handle);
    clients.push(client);
    return client;
  };
  const sh = (client: RunnerClient, command: string, timeout_ms = 20_000) => client.exec({ command, timeout_ms });

  beforeAll(async () => {
    base = await makeBaseDir();
    scratch = await realpath(await mkdtemp(path.join(tmpdir(), 'isolation-')));
    provider = new LocalSandboxProvider({ logger: recordingLogger(), baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'bwrap', pidsLimit: 64, commandTimeoutMs: COMMAND_LIMIT_MS });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await provider.shutdown();
    await base.remove();
    await rm(scratch, { recursive: true, force: true });
  });

  it("never runs a session's LD_PRELOAD on the host", async () => {
    const marker = path.join(scratch, 'preload-ran-on-host');
    const source = path.join(scratch, 'preload.c');
    const library = path.join(scratch, 'preload.so');
    await writeFile(
      source,
      `#include <stdio.h>\n__attribute__((constructor)) static void mark(void) { FILE *f = fopen(${JSON.stringify(marker)}, "a"); if (f) { fputs("ran\\n", f); fclose(f); } }\n`,
    );
    execFileSync('gcc', ['-shared', '-fPIC', '-o', library, source]);
    // The library works: loaded on the host, it writes the marker.
    execFileSync('/bin/true', { env: { LD_PRELOAD: library } });
    expect(existsSync(marker)).toBe(true);
    await rm(marker);

    const client = connect(await provider.provision(sandboxSpec({ environmentVariables: { LD_PRELOAD: library } })));
    const result = await sh(client, 'echo "$LD_PRELOAD"');
    expect(result.stdout).toBe(`${library}\n`); // the session's variable reaches its commands, inside
    expect(existsSync(marker)).toBe(false);
  });

  describe.each<Networking>([
    { type: 'none' },
    { type: 'unrestricted' },
    { type: 'limited', allow_package_managers: true },
    { type: 'allowed_hosts', allowed_hosts: ['127.0.0.1', 'localhost'] },
  ])('networking $type', (networking) => {
    it('cannot open TCP to the API, PostgreSQL or Redis on the host loopback', async () => {
      const api = await startLoopbackServer();
      try {
        const apiPort = Number(new URL(api.url).port);
        const ports = [apiPort, 5432, 6379];
        for (const port of ports) expect(await hostListens(port)).toBe(true);
        const client = connect(await provider.provision(sandboxSpec({ networking })));
        for (const port of ports) {
          const probe = await sh(client, `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`);
          expect({ port, stdout: probe.stdout }).toEqual({ port, stdout: '' });
          expect(probe.exit_code).not.toBe(0);
        }
        expect((await sh(client, `curl -sS --noproxy '*' --max-time 3 ${api.url}`)).exit_code).not.toBe(0);
        expect(api.hits()).toBe(0);
      } finally {
        await api.close();
      }
    });
  });

  it("shows none of the checkout, the host's home, /run or the host's /tmp", async () => {
    const hostTmpFile = path.join(tmpdir(), `host-secret-${process.pid}`);
    await writeFile(hostTmpFile, 'host secret\n');
    try {
      const client = connect(await provider.provision(sandboxSpec()));
      for (const dir of [CHECKOUT, homedir(), '/run', '/var/run', '/root']) {
        const listing = await sh(client, `ls -A ${dir} 2>/dev/null`);
        expect({ dir, stdout: listing.stdout }).toEqual({ dir, stdout: '' });
      }
      const read = await sh(client, `cat ${hostTmpFile} /tmp/host-secret-${process.pid}`);
      expect(read.exit_code).not.toBe(0);
      expect(read.stdout).toBe('');
      // Secrets the host keeps in /etc are not there either; what programs need is.
      expect((await sh(client, 'ls /etc/shadow /etc/hostname 2>/dev/null; cat /etc/passwd | grep -c "^sandbox:"; id -un')).stdout).toBe('1\nsandbox\n');
      expect((await sh(client, 'ls /etc/ssl/certs | head -1 | wc -l')).stdout).toBe('1\n');
    } finally {
      await rm(hostTmpFile, { force: true });
    }
  });

  it('runs commands as an unprivileged user that cannot create namespaces or gain privileges', async () => {
    const client = connect(await provider.provision(sandboxSpec()));
    const none = '0000000000000000';
    expect((await sh(client, 'id -u; id -G; grep -E "^(CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs)" /proc/self/status')).stdout).toBe(
      `1000\n1000\nCapInh:\t${none}\nCapPrm:\t${none}\nCapEff:\t${none}\nCapAmb:\t${none}\nNoNewPrivs:\t1\n`,
    );
    const userns = await sh(client, 'unshare --user true');
    expect(userns.exit_code).not.toBe(0);
    // On the host the sandbox's processes belong to a uid of their own, not to the worker's.
    const { stdout } = await sh(client, 'sleep 30.91 > /dev/null 2>&1 & echo started');
    expect(stdout).toBe('started\n');
    expect(await eventually(async () => (await pidsWithArgument('30.91')).length === 1, 10_000)).toBe(true);
    const [pid] = await pidsWithArgument('30.91');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);
    expect(uid).not.toBe(process.getuid?.());
    expect(uid).toBeGreaterThanOrEqual(200_000);
  });

  it("enters each command under the sandbox's rlimits: no core dumps, the disk limit per file, open files, processes", async () => {
    const client = connect(await provider.provision(sandboxSpec()));
    // 10Gi (the default disk limit) in ulimit's 1024-byte blocks; processes = the pids limit, per host uid.
    expect((await sh(client, 'ulimit -Hc; ulimit -Sf; ulimit -Hf; ulimit -n; ulimit -u')).stdout).toBe('0\n10485760\n10485760\n8192\n64\n');
  });

  it("starts the sandbox's init already in its cgroups, under its rlimits, as its own uid without groups, capabilities or new privileges", async () => {
    const spec = sandboxSpec();
    await provider.provision(spec);
    // Every process bubblewrap made: itself, the init inside and what the init runs (nothing was entered yet).
    const init = await sandboxProcesses(path.join(base.baseDir, spec.sessionId, 'workspace'));
    expect(init.length).toBeGreaterThanOrEqual(3);
    const limitOf = (limits: string, name: string) => new RegExp(`^${name}\\s+(\\S+)\\s+(\\S+)`, 'm').exec(limits)?.slice(1);
    for (const { pid } of init) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const [real, effective, saved] = (/^Uid:\s+(.*)$/m.exec(status)?.[1] ?? '').split(/\s+/).map(Number);
      expect(real).toBeGreaterThanOrEqual(200_000);
      expect([effective, saved]).toEqual([real, real]);
      expect(/^Gid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/).map(Number)).toEqual([real, real, real, real]);
      expect(/^Groups:(.*)$/m.exec(status)?.[1]?.trim()).toBe('');
      expect(/^NoNewPrivs:\s+(\d)$/m.exec(status)?.[1]).toBe('1');
      for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapAmb']) expect(new RegExp(`^${set}:\\s+0+$`, 'm').test(status)).toBe(true);
      expect(await pidsMaxOf(pid)).toBe('64');
      const limits = await readFile(`/proc/${pid}/limits`, 'utf8');
      expect(limitOf(limits, 'Max core file size')).toEqual(['0', '0']);
      expect(limitOf(limits, 'Max file size')).toEqual([String(10 * 2 ** 30), String(10 * 2 ** 30)]);
      expect(limitOf(limits, 'Max open files')).toEqual(['8192', '8192']);
      expect(limitOf(limits, 'Max processes')).toEqual(['64', '64']);
    }
  });

  it('denies ptrace, unshare and the other filtered system calls through its seccomp filter', async () => {
    // ptrace(PTRACE_TRACEME) and unshare(0) succeed for any process that no filter stops, as on the host.
    const numbers = process.arch === 'arm64' ? { ptrace: 117, unshare: 97 } : { ptrace: 101, unshare: 272 };
    const probe = `print syscall(${numbers.ptrace}, 0, 0, 0, 0), " $!\\n"; print syscall(${numbers.unshare}, 0), " $!\\n";`;
    expect(execFileSync('perl', ['-e', probe], { encoding: 'utf8' })).toBe('0 \n0 \n');
    const client = connect(await provider.provision(sandboxSpec()));
    const inside = await sh(client, `perl -e '${probe}'; grep ^Seccomp: /proc/self/status`);
    expect(inside.stdout).toBe('-1 Operation not permitted\n-1 Operation not permitted\nSeccomp:\t2\n');
  });

  it('kills a 1 GiB allocation under memory "256Mi" and says so; the session goes on', async () => {
    const client = connect(await provider.provision(sandboxSpec({ resources: { cpu: '1', memory: '256Mi' } })));
    const result = await sh(client, 'node -e "const b = Buffer.alloc(2 ** 30, 1); console.log(b.length)"');
    expect(result.stdout).toBe('');
    expect(result.exit_code).toBe(137);
    expect(result.stderr).toContain("exceeded the sandbox's memory limit (256Mi)");
    expect(await sh(client, 'echo alive')).toMatchObject({ exit_code: 0, stdout: 'alive\n' });
  });

  it('contains a fork bomb with the pids limit; the next command in the session works', async () => {
    const client = connect(await provider.provision(sandboxSpec()));
    // First a harmless check that the limit is there: the pids cgroup of a process of the sandbox.
    await sh(client, 'sleep 30.94 > /dev/null 2>&1 &');
    expect(await eventually(async () => (await pidsWithArgument('30.94')).length === 1, 10_000)).toBe(true);
    expect(await pidsMaxOf((await pidsWithArgument('30.94'))[0]!)).toBe('64');
    // Every level waits for its pipeline, so the bomb stays attached to the command (and its stderr)
    // until the limit stops it and the time limit kills it, however fast the machine forks.
    const bomb = await sh(client, 'bomb() { bomb | bomb; }; bomb', 8000);
    expect(bomb.stderr).toContain('Resource temporarily unavailable');
    expect(await sh(client, 'echo alive')).toMatchObject({ exit_code: 0, stdout: 'alive\n' });

    // Background jobs that hold every pid once their command returned: the next command still runs.
    await sh(client, '(for i in $(seq 200); do sleep 30.95 & done) > /dev/null 2>&1 & echo started');
    expect(await eventually(async () => (await pidsWithArgument('30.95')).length >= 40, 30_000)).toBe(true);
    const next = await sh(client, 'echo alive');
    expect(next).toMatchObject({ exit_code: 0, stdout: 'alive\n' });
    expect(next.stderr).toContain("the sandbox's process limit was reached");
    expect(await eventually(async () => (await pidsWithArgument('30.95')).length === 0, 10_000)).toBe(true);
  });

  it('kills a command past the configured time limit, whatever its call asked for', async () => {
    const client = connect(await provider.provision(sandboxSpec()));
    const result = await sh(client, '(sleep 30.92 &); sleep 30.93', 60_000);
    expect(result).toMatchObject({ timed_out: true, exit_code: 137 });
    expect(await eventually(async () => (await pidsWithArgument('30.92')).length + (await pidsWithArgument('30.93')).length === 0, 10_000)).toBe(true);
  }, 60_000);
});
