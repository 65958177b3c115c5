import { mkdtemp, readdir, readFile, readlink, realpath, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SandboxLogger, SandboxSpec } from '../src';

let sequence = 0;

/** The deployment id the providers under test record as their sandboxes' owner. */
export const OWNER = 'dep0test0000';

/** A spec for a new session; networking defaults to unrestricted. */
export function sandboxSpec(overrides: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    sessionId: `sesn_test${process.pid}_${++sequence}`,
    workspaceId: 'wksp_test',
    environmentId: 'env_test',
    networking: { type: 'unrestricted' },
    environmentVariables: {},
    ...overrides,
  };
}

/** A fresh base directory for a provider's sandboxes (short, so socket paths stay under the limit). */
export async function makeBaseDir(): Promise<{ baseDir: string; remove(): Promise<void> }> {
  const baseDir = await realpath(await mkdtemp(path.join(tmpdir(), 'sbx-')));
  return { baseDir, remove: () => rm(baseDir, { recursive: true, force: true }) };
}

/** Mount points on the host below `dir`. */
export async function mountsBelow(dir: string): Promise<string[]> {
  const mountInfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountInfo
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`));
}

/** A loopback HTTP server answering "reached" to everything. */
export async function startLoopbackServer(): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.end('reached');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    hits: () => hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// Shared with the other suites that watch processes.
export { eventually, pidsWithArgument } from '@stratus/testing';

/**
 * A provider logger that keeps its warnings for the test to assert on, instead of printing them as
 * process warnings (the provider's default) into the test run's output.
 */
export function recordingLogger(): SandboxLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (_details, message) => warnings.push(message) };
}

/** One process as /proc shows it on the host. */
export interface HostProcess {
  pid: number;
  parent: number;
  /** The program it runs (the target of /proc/<pid>/exe), empty when unreadable. */
  exe: string;
  rssKiB: number;
}

/**
 * The host processes of a local sandbox, read from /proc: those whose command line names its
 * workspace directory on the host (bubblewrap's `--bind <workspace> /workspace`), all their
 * descendants, and every process in the sandbox's PID namespace (what calls started by entering it).
 */
export async function sandboxProcesses(workspaceDir: string): Promise<HostProcess[]> {
  const all: (HostProcess & { cmdline: string[]; pidNamespace: string })[] = [];
  const hostPidNamespace = await readlink('/proc/self/ns/pid');
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [stat, status, cmdline, exe, pidNamespace] = await Promise.all([
      readFile(`/proc/${entry}/stat`, 'utf8').catch(() => ''),
      readFile(`/proc/${entry}/status`, 'utf8').catch(() => ''),
      readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => ''),
      readlink(`/proc/${entry}/exe`).catch(() => ''),
      readlink(`/proc/${entry}/ns/pid`).catch(() => ''),
    ]);
    if (stat === '') continue;
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    all.push({ pid: Number(entry), parent, exe, rssKiB, cmdline: cmdline.split('\0'), pidNamespace });
  }
  const inTree = new Set(all.filter((proc) => proc.cmdline.includes(workspaceDir)).map((proc) => proc.pid));
  for (let grown = true; grown; ) {
    grown = false;
    for (const proc of all) {
      if (!inTree.has(proc.pid) && inTree.has(proc.parent)) {
        inTree.add(proc.pid);
        grown = true;
      }
    }
  }
  const sandboxNamespaces = new Set(all.filter((proc) => inTree.has(proc.pid) && proc.pidNamespace !== hostPidNamespace).map((proc) => proc.pidNamespace));
  return all
    .filter((proc) => inTree.has(proc.pid) || sandboxNamespaces.has(proc.pidNamespace))
    .map(({ cmdline: _cmdline, pidNamespace: _pidNamespace, ...proc }) => proc);
}
