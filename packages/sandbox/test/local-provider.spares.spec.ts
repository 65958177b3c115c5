import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { removeSandboxBase, SANDBOX_RUNNER_ENTRY } from '@stratus/testing';
import { LocalSandboxProvider, RunnerClient } from '../src';
import { startProviderProcess } from './provider-process-harness';
import { eventually, makeBaseDir, mountsBelow, OWNER, recordingLogger, sandboxSpec } from './sandbox-harness';

const MiB = 2 ** 20;
const DISK_LIMIT = 64 * MiB;
const SPARES = '.spares';

/** Inode of each spare's image, by spare name: a claimed spare's image keeps its inode in the session's directory. */
async function spareImages(baseDir: string): Promise<Map<string, number>> {
  const images = new Map<string, number>();
  for (const name of await readdir(path.join(baseDir, SPARES)).catch(() => [])) {
    const image = await stat(path.join(baseDir, SPARES, name, 'workspace.img')).catch(() => undefined);
    if (image !== undefined) images.set(name, image.ino);
  }
  return images;
}

/** Loop devices whose backing file lies below `dir` (a deleted image still attached keeps its disk space). */
async function loopDevicesBelow(dir: string): Promise<string[]> {
  const devices: string[] = [];
  for (const device of await readdir('/sys/block').catch(() => [])) {
    const backing = await readFile(`/sys/block/${device}/loop/backing_file`, 'utf8').catch(() => '');
    if (backing.startsWith(`${dir}/`)) devices.push(device);
  }
  return devices;
}

/**
 * An mkfs.ext4 formatting an image below `dir`, stopped (SIGSTOP) mid-format, and that image:
 * /proc is read synchronously in a tight loop, since a format lasts tens of milliseconds.
 */
function freezeFormatting(dir: string, timeoutMs: number): { pid: number; image: string } {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let argv: string[];
      try {
        argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      } catch {
        continue; // gone meanwhile
      }
      const image = argv.find((arg) => arg.startsWith(`${dir}/`) && arg.endsWith('/workspace.img'));
      if (path.basename(argv[0] ?? '') !== 'mkfs.ext4' || image === undefined) continue;
      try {
        process.kill(Number(entry), 'SIGSTOP');
        return { pid: Number(entry), image };
      } catch {
        // it finished first: catch the next one
      }
    }
  }
  throw new Error(`no mkfs.ext4 of an image below ${dir} within ${timeoutMs} ms`);
}

/**
 * Spare workspaces: sandbox directories whose volume is made, formatted and mounted ahead of time,
 * so a cold start claims one by rename. Real bubblewrap, real loop mounts, a root worker.
 */
describe('local sandbox spare workspaces', () => {
  let base: Awaited<ReturnType<typeof makeBaseDir>>;
  const stop: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    base = await makeBaseDir();
  });
  afterEach(async () => {
    for (const step of stop.splice(0).reverse()) await step();
    await removeSandboxBase(base.baseDir);
  });

  function provider(spareWorkspaces: number, owner = OWNER): LocalSandboxProvider {
    const made = new LocalSandboxProvider({ logger: recordingLogger(), baseDir: base.baseDir, owner, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'bwrap', diskLimitBytes: DISK_LIMIT, spareWorkspaces });
    stop.push(() => made.shutdown());
    return made;
  }

  it('gives a cold start a spare whose volume is mounted, then makes a new spare in its place', async () => {
    const sandboxes = provider(2);
    await eventually(async () => (await sandboxes.spareWorkspaces()) === 2, 60_000, 'two spares');
    const before = await spareImages(base.baseDir);
    expect(before.size).toBe(2);

    const spec = sandboxSpec();
    const handle = await sandboxes.provision(spec);
    const sandboxDir = path.join(base.baseDir, spec.sessionId);
    expect(Object.keys(handle.startupSteps ?? {})).toContain('spareClaim');
    // The session's image is one of the spares' (same inode, renamed with its directory), mounted on its workspace.
    const inode = (await stat(path.join(sandboxDir, 'workspace.img'))).ino;
    const claimed = [...before].find(([, spareInode]) => spareInode === inode)?.[0];
    expect(claimed).toBeDefined();
    expect(existsSync(path.join(base.baseDir, SPARES, claimed!))).toBe(false);
    expect(await mountsBelow(sandboxDir)).toEqual([path.join(sandboxDir, 'workspace')]);
    // The sandbox works on it, as its own uid, within the disk limit.
    const client = RunnerClient.forHandle(handle);
    stop.push(() => client.close());
    expect(await client.exec({ command: 'ls -A /workspace; echo hi > /workspace/note && df -B1 --output=size /workspace | tail -1', timeout_ms: 20_000 })).toMatchObject({
      exit_code: 0,
      stdout: expect.stringMatching(/^\.home\n\s*\d+\n$/),
    });

    // Refilled: two spares again, one of them new.
    await eventually(async () => (await sandboxes.spareWorkspaces()) === 2, 60_000, 'the spares refilled');
    const after = await spareImages(base.baseDir);
    expect(after.size).toBe(2);
    expect([...after.keys()].filter((name) => !before.has(name))).toHaveLength(1);
  });

  it('never gives one spare to two sessions, and never reuses one after its session', async () => {
    const sandboxes = provider(2);
    await eventually(async () => (await sandboxes.spareWorkspaces()) === 2, 60_000, 'two spares');
    const specs = [sandboxSpec(), sandboxSpec(), sandboxSpec(), sandboxSpec()];
    // Four at once for two spares: two claim one each, two make their own volume.
    const handles = await Promise.all(specs.map((spec) => sandboxes.provision(spec)));
    const images = await Promise.all(specs.map((spec) => stat(path.join(base.baseDir, spec.sessionId, 'workspace.img'))));
    expect(new Set(images.map((image) => image.ino)).size).toBe(4);
    const devices = await Promise.all(specs.map((spec) => stat(path.join(base.baseDir, spec.sessionId, 'workspace'))));
    expect(new Set(devices.map((device) => device.dev)).size).toBe(4);
    expect(handles.filter((handle) => 'spareClaim' in (handle.startupSteps ?? {}))).toHaveLength(2);

    // A session's files go with it: the next session's workspace, spare or not, starts empty.
    const first = RunnerClient.forHandle(handles[0]!);
    stop.push(() => first.close());
    expect((await first.exec({ command: 'echo secret > /workspace/left-behind', timeout_ms: 20_000 })).exit_code).toBe(0);
    await sandboxes.destroy(specs[0]!.sessionId);
    await eventually(async () => (await sandboxes.spareWorkspaces()) === 2, 60_000, 'the spares refilled');
    const next = sandboxSpec();
    const client = RunnerClient.forHandle(await sandboxes.provision(next));
    stop.push(() => client.close());
    expect(await client.exec({ command: 'ls -A /workspace', timeout_ms: 20_000 })).toMatchObject({ exit_code: 0, stdout: '.home\n' });
  });

  it("leaves a killed worker's spares to the reconciler of its own deployment, which unmounts and removes them", async () => {
    const killed = startProviderProcess({ baseDir: base.baseDir, diskLimitBytes: DISK_LIMIT, owner: OWNER, spareWorkspaces: 2 });
    stop.push(() => killed.kill());
    const otherDeployment = startProviderProcess({ baseDir: base.baseDir, diskLimitBytes: DISK_LIMIT, owner: 'dep0other000', spareWorkspaces: 1 });
    stop.push(() => otherDeployment.kill());
    await Promise.all([killed.next('spares'), otherDeployment.next('spares')]);
    const abandoned = await spareImages(base.baseDir);
    expect(abandoned.size).toBe(3);
    await killed.kill();
    await otherDeployment.kill();
    // A live worker of the same deployment: its own spare is not abandoned.
    const live = provider(1);
    await eventually(async () => (await live.spareWorkspaces()) === 1, 60_000, 'the live spare');
    const liveSpare = [...(await spareImages(base.baseDir)).keys()].find((name) => !abandoned.has(name))!;

    const report = await live.reconcile({ liveSessions: async () => new Set() });
    const removed = report.destroyed.filter((entry) => entry.reason === 'abandoned_spare').map((entry) => path.basename(entry.id));
    expect(removed).toHaveLength(2);
    const remaining = await spareImages(base.baseDir);
    expect([...remaining.keys()].sort()).toEqual([liveSpare, ...[...abandoned.keys()].filter((name) => !removed.includes(name))].sort());
    // Nothing of the removed ones stays mounted or attached to a loop device.
    for (const name of removed) {
      const spare = path.join(base.baseDir, SPARES, name);
      expect(existsSync(spare)).toBe(false);
      expect(await mountsBelow(spare)).toEqual([]);
      expect(await loopDevicesBelow(spare)).toEqual([]);
    }
    // The other deployment's spare is still mounted (its own reconciler's to remove).
    const other = [...remaining.keys()].find((name) => name !== liveSpare)!;
    expect(await mountsBelow(path.join(base.baseDir, SPARES, other))).toHaveLength(1);
  });

  it('removes a spare left half-formatted by a worker SIGKILLed with its mkfs.ext4: no image, loop device or mount stays', async () => {
    // Several spares, made one after the other: several formats to catch one of.
    const worker = startProviderProcess({ baseDir: base.baseDir, diskLimitBytes: DISK_LIMIT, owner: OWNER, spareWorkspaces: 4 });
    stop.push(() => worker.kill());
    // Frozen mid-format, then killed with its worker, as when the worker's whole service or container is killed.
    const mkfs = freezeFormatting(path.join(base.baseDir, SPARES), 60_000);
    await worker.kill();
    process.kill(mkfs.pid, 'SIGKILL');
    await eventually(async () => !existsSync(`/proc/${mkfs.pid}`) || (await readFile(`/proc/${mkfs.pid}/stat`, 'utf8').catch(() => '')).includes(') Z'), 10_000, 'mkfs.ext4 gone');
    const spare = path.dirname(mkfs.image);
    // Half-made: the image is there, nothing is mounted on its workspace.
    expect(existsSync(mkfs.image)).toBe(true);
    expect(await mountsBelow(spare)).toEqual([]);

    // Another deployment's reconciler leaves it alone; its own removes it.
    expect((await provider(0, 'dep0other000').reconcile({ liveSessions: async () => new Set() })).destroyed).toEqual([]);
    expect(existsSync(spare)).toBe(true);
    const report = await provider(0).reconcile({ liveSessions: async () => new Set() });
    expect(report.destroyed.filter((entry) => entry.reason === 'abandoned_spare').map((entry) => path.basename(entry.id))).toContain(path.basename(spare));
    expect(existsSync(spare)).toBe(false);
    // Nothing of any of the killed worker's spares, finished or not, stays mounted or attached.
    expect(await readdir(path.join(base.baseDir, SPARES))).toEqual([]);
    expect(await mountsBelow(base.baseDir)).toEqual([]);
    expect(await eventually(async () => (await loopDevicesBelow(base.baseDir)).length === 0, 10_000, 'the loop devices released')).toBe(true);
  });

  it('unmounts and removes a workspace filled to its limit while its worker was SIGKILLed mid-write; the host disk keeps nothing', async () => {
    const spec = sandboxSpec();
    // Writes 1 MiB at a time, forever: past the limit every write fails and it keeps trying.
    const worker = startProviderProcess({ baseDir: base.baseDir, diskLimitBytes: DISK_LIMIT, owner: OWNER, spareWorkspaces: 1, session: spec, command: 'while :; do head -c 1048576 /dev/zero >> /workspace/fill$((i++ % 4)) 2>/dev/null; done' });
    stop.push(() => worker.kill());
    await worker.next('spares');
    const sandboxDir = await worker.next<string>('sessionDir');
    await worker.next('started');
    const workspace = path.join(sandboxDir, 'workspace');
    const image = path.join(sandboxDir, 'workspace.img');
    // Full: the volume has no block left, and its image holds what was written (less what the page cache still holds).
    await eventually(async () => (await statfs(workspace)).bavail === 0, 60_000, 'the workspace volume full');
    expect((await stat(image)).blocks * 512).toBeGreaterThan(DISK_LIMIT / 2);
    await worker.kill(); // mid-write: the loop is still writing

    // Outside the volume and its image, the sandbox's directory holds next to nothing.
    const outside = await readdir(sandboxDir);
    const sizes = await Promise.all(outside.filter((name) => name !== 'workspace.img' && name !== 'workspace').map(async (name) => (await stat(path.join(sandboxDir, name))).blocks * 512));
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBeLessThan(MiB);

    const report = await provider(0).reconcile({ liveSessions: async () => new Set() });
    expect(report.destroyed).toContainEqual({ id: spec.sessionId, sessionId: spec.sessionId, reason: 'session_gone' });
    expect(existsSync(sandboxDir)).toBe(false);
    expect(await mountsBelow(base.baseDir)).toEqual([]);
    // No loop device still holds the deleted image: its blocks went back to the host's file system.
    expect(await eventually(async () => (await loopDevicesBelow(base.baseDir)).length === 0, 10_000, 'the loop devices released')).toBe(true);
  });
});
