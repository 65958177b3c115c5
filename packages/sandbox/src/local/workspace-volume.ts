import { execFile } from 'node:child_process';
import { access, open, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { findExecutable } from './bwrap';

const run = promisify(execFile);

/** Host tools are looked up and run with this PATH only, never the worker's. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Next to the workspace in the sandbox directory: the file system image it is mounted from. */
const IMAGE_NAME = 'workspace.img';
/** CAP_SYS_ADMIN, needed to mount; a root worker in an unprivileged container may lack it. */
const CAP_SYS_ADMIN_BIT = 21n;

/**
 * The workspace disk limit, enforced for the whole workspace: each sandbox's workspace is an ext4
 * file system of exactly the limit, in a sparse image file in the sandbox's directory, loop-mounted
 * on the workspace directory. Writing past it fails with ENOSPC inside the sandbox, whatever the
 * number of files, and only the mount is full: the host's disk and other sandboxes are not touched.
 * The image takes host disk only for what is written (sparse; not given back on delete until the
 * sandbox is removed). Needs a root worker with CAP_SYS_ADMIN, loop devices and mkfs.ext4;
 * `detect()` says why not otherwise.
 */
export class WorkspaceVolumes {
  private constructor(
    private readonly mkfs: string,
    private readonly mount: string,
  ) {}

  /** The volumes of this host, or why there are none (the caller warns and keeps RLIMIT_FSIZE only). */
  static async detect(): Promise<WorkspaceVolumes | { unavailable: string }> {
    if (process.getuid?.() !== 0) return { unavailable: 'the worker is not root' };
    const capabilities = /^CapEff:\s*([0-9a-f]+)$/m.exec(await readFile('/proc/self/status', 'utf8').catch(() => ''))?.[1];
    if (capabilities === undefined || ((BigInt(`0x${capabilities}`) >> CAP_SYS_ADMIN_BIT) & 1n) === 0n) {
      return { unavailable: 'the worker lacks CAP_SYS_ADMIN' };
    }
    if (!(await access('/dev/loop-control').then(() => true, () => false))) return { unavailable: 'no loop devices (/dev/loop-control)' };
    const mkfs = findExecutable('mkfs.ext4', SYSTEM_PATH);
    const mount = findExecutable('mount', SYSTEM_PATH);
    if (mkfs === undefined || mount === undefined) return { unavailable: 'mkfs.ext4 or mount is missing (apt-get install e2fsprogs mount)' };
    return new WorkspaceVolumes(mkfs, mount);
  }

  /**
   * Makes `workspaceDir` (in `sandboxDir`) a file system of `sizeBytes` owned by `owner` (a host
   * uid; root when undefined). Idempotent: a workspace still mounted (a worker restart) or an image
   * already there (a sandbox directory reused) keeps its files. False when the workspace already has
   * files outside any volume (made before volumes existed): mounting over them would hide them.
   */
  async attach(sandboxDir: string, workspaceDir: string, sizeBytes: number, owner: number | undefined): Promise<boolean> {
    if (await isMountPoint(workspaceDir)) return true;
    const image = path.join(sandboxDir, IMAGE_NAME);
    const fresh = !(await access(image).then(() => true, () => false));
    if (fresh) {
      if ((await readdir(workspaceDir)).length > 0) return false;
      const file = await open(image, 'wx', 0o600);
      await file.truncate(sizeBytes).finally(() => file.close());
      const uid = owner ?? 0;
      // Lazy inode tables and journal: formatting writes a few MiB, not the file system's metadata.
      await run(this.mkfs, ['-q', '-F', '-m', '0', '-E', `lazy_itable_init=1,lazy_journal_init=1,nodiscard,root_owner=${uid}:${uid}`, image], { env: { PATH: SYSTEM_PATH } }).catch(
        async (error: unknown) => {
          await rm(image, { force: true }); // never leave an unformatted image for the next start to mount
          throw error;
        },
      );
    }
    // noinit_itable: no background zeroing of inode tables (I/O for the whole size on every start).
    await run(this.mount, ['-o', 'loop,nosuid,nodev,noatime,noinit_itable', image, workspaceDir], { env: { PATH: SYSTEM_PATH } });
    // The session sees its files only: e2fsck recreates lost+found if it ever needs one.
    if (fresh) await rmdir(path.join(workspaceDir, 'lost+found')).catch(() => undefined);
    return true;
  }
}

/**
 * Deletes a sandbox directory, first unmounting its workspace volume if it has one (rm would
 * otherwise empty the volume and then fail on the mount point, leaving the loop device and image).
 * A mount still busy is detached lazily: the kernel frees it when its last user is gone.
 */
export async function removeSandboxDirectory(sandboxDir: string): Promise<void> {
  const workspace = path.join(sandboxDir, 'workspace');
  if (await isMountPoint(workspace)) {
    const umount = findExecutable('umount', SYSTEM_PATH) ?? 'umount';
    await run(umount, [workspace], { env: { PATH: SYSTEM_PATH } }).catch(() => run(umount, ['--lazy', workspace], { env: { PATH: SYSTEM_PATH } }));
  }
  await rm(sandboxDir, { recursive: true, force: true });
}

/** Whether a file system is mounted on `dir` (its device differs from its parent's). */
async function isMountPoint(dir: string): Promise<boolean> {
  const [own, parent] = await Promise.all([stat(dir).catch(() => undefined), stat(path.dirname(dir)).catch(() => undefined)]);
  return own !== undefined && parent !== undefined && own.dev !== parent.dev;
}
