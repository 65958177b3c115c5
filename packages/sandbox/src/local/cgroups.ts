import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What one sandbox may use; undefined means no limit of that kind. */
export interface SandboxLimits {
  memoryBytes?: number;
  /** CPU time per wall-clock time, in thousandths of a CPU ("500m" = 500, "2" = 2000). */
  cpuMillis?: number;
  pids: number;
}

/** A sandbox's cgroup(s): the files its first process writes its pid to, and how to remove them. */
export interface SandboxCgroup {
  procsFiles: string[];
  remove(): Promise<void>;
}

const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
type Controller = (typeof CONTROLLERS)[number];
const CFS_PERIOD_US = 100_000;

/** "256Mi", "2Gi", "512M", "1000" → bytes; undefined for anything else. */
export function parseMemoryQuantity(quantity: string): number | undefined {
  const match = /^([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match) return undefined;
  const unit = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * unit;
}

/** "500m" → 500, "1.5" → 1500; undefined for anything else. */
export function parseCpuQuantity(quantity: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(m)?$/.exec(quantity);
  if (!match) return undefined;
  return Math.max(1, Math.round(match[2] === 'm' ? Number(match[1]) : Number(match[1]) * 1000));
}

interface MountInfo {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

function mounts(): MountInfo[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [before, after = ''] = line.split(' - ');
      const fields = (before ?? '').split(' ');
      const [fsType = '', , superOptions = ''] = after.split(' ');
      return { root: fields[3] ?? '/', mountPoint: fields[4] ?? '', fsType, superOptions: superOptions.split(',') };
    });
}

/** This process's cgroup per hierarchy: '' for the v2 one, the controller list for v1 ones. */
function ownCgroups(): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match) for (const name of match[1]!.split(',')) own.set(name, match[2]!);
  }
  return own;
}

function readControllers(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\s+/);
  } catch {
    return [];
  }
}

function under(mount: MountInfo, cgroupPath: string): string {
  return path.join(mount.mountPoint, path.relative(mount.root, cgroupPath));
}

/**
 * Creates one cgroup per sandbox below this process's own cgroup, in cgroup v2 when it is mounted
 * with the memory, cpu and pids controllers available, otherwise in the v1 hierarchies of those
 * controllers. `detect()` returns undefined when none is writable (an unprivileged worker without
 * a delegated cgroup): the caller then relies on rlimits alone.
 */
export class CgroupManager {
  private constructor(
    readonly version: 'v1' | 'v2',
    /** The parent directory per controller (v2: the same one for all). */
    private readonly parents: ReadonlyMap<Controller, string>,
  ) {}

  static async detect(): Promise<CgroupManager | undefined> {
    let all: MountInfo[];
    let own: Map<string, string>;
    try {
      all = mounts();
      own = ownCgroups();
    } catch {
      return undefined;
    }
    const v2 = all.find((m) => m.fsType === 'cgroup2');
    if (v2 !== undefined && own.has('')) {
      const parent = under(v2, own.get('')!);
      const available = readControllers(path.join(parent, 'cgroup.controllers'));
      if (CONTROLLERS.every((c) => available.includes(c))) {
        // Children get the controllers' files only once the parent delegates them.
        await writeFile(path.join(parent, 'cgroup.subtree_control'), CONTROLLERS.map((c) => `+${c}`).join(' ')).catch(() => undefined);
        const manager = new CgroupManager('v2', new Map(CONTROLLERS.map((c) => [c, parent])));
        if (await manager.writable()) return manager;
      }
    }
    const parents = new Map<Controller, string>();
    for (const controller of CONTROLLERS) {
      const mount = all.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
      const cgroupPath = own.get(controller);
      if (mount === undefined || cgroupPath === undefined) return undefined;
      parents.set(controller, under(mount, cgroupPath));
    }
    const manager = new CgroupManager('v1', parents);
    return (await manager.writable()) ? manager : undefined;
  }

  /**
   * Creates the sandbox's cgroup(s) named `name` with its limits. Synchronously: a handful of
   * directories and writes in the kernel's cgroup file system, each far cheaper than the thread-pool
   * round trip an asynchronous call costs on a busy machine, and on every cold start's path.
   */
  async create(name: string, limits: SandboxLimits): Promise<SandboxCgroup> {
    const dirs = [...new Set(this.parents.values())].map((parent) => path.join(parent, name));
    const dirOf = (controller: Controller) => path.join(this.parents.get(controller)!, name);
    const cgroup: SandboxCgroup = {
      procsFiles: dirs.map((dir) => path.join(dir, 'cgroup.procs')),
      remove: () => removeDirs(dirs),
    };
    try {
      for (const dir of dirs) mkdirSync(dir, { recursive: true });
      if (this.version === 'v2') limitV2(dirOf('memory'), limits);
      else limitV1(dirOf, limits);
    } catch (error) {
      await cgroup.remove();
      throw error;
    }
    return cgroup;
  }

  private async writable(): Promise<boolean> {
    const probe = `stratus-probe-${process.pid}`;
    try {
      const cgroup = await this.create(probe, { pids: 1 });
      await cgroup.remove();
      return true;
    } catch {
      await removeDirs([...new Set(this.parents.values())].map((parent) => path.join(parent, probe)));
      return false;
    }
  }
}

function limitV2(dir: string, limits: SandboxLimits): void {
  if (limits.memoryBytes !== undefined) {
    writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryBytes));
    ignoreError(() => writeFileSync(path.join(dir, 'memory.swap.max'), '0')); // no swap accounting on this kernel
  }
  if (limits.cpuMillis !== undefined) writeFileSync(path.join(dir, 'cpu.max'), `${Math.round((limits.cpuMillis * CFS_PERIOD_US) / 1000)} ${CFS_PERIOD_US}`);
  writeFileSync(path.join(dir, 'pids.max'), String(limits.pids));
}

function limitV1(dirOf: (controller: Controller) => string, limits: SandboxLimits): void {
  if (limits.memoryBytes !== undefined) {
    writeFileSync(path.join(dirOf('memory'), 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Memory plus swap capped at the same value, or the limit would just push the sandbox into swap.
    ignoreError(() => writeFileSync(path.join(dirOf('memory'), 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)));
  }
  if (limits.cpuMillis !== undefined) {
    writeFileSync(path.join(dirOf('cpu'), 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
    writeFileSync(path.join(dirOf('cpu'), 'cpu.cfs_quota_us'), String(Math.round((limits.cpuMillis * CFS_PERIOD_US) / 1000)));
  }
  writeFileSync(path.join(dirOf('pids'), 'pids.max'), String(limits.pids));
}

function ignoreError(write: () => void): void {
  try {
    write();
  } catch {
    // optional file: absent on this kernel
  }
}

/** rmdir of a cgroup fails with EBUSY while an exiting process is still being reaped; retried briefly. */
async function removeDirs(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EBUSY' || attempt >= 50) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}
