import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isRunning, ownIdentity, type WorkerIdentity } from './worker-identity';
import { removeSandboxDirectory } from './workspace-volume';

/** In each spare: whose it is, so a later worker can tell a spare of a crashed one from a live one's. */
const SPARE_MARKER = 'spare.json';

interface SpareMarker {
  owner: string;
  worker: WorkerIdentity;
  createdAt: string;
}

export interface SpareWorkspacesOptions {
  /** Where spares are made: a directory of the base directory, so a claim is a rename within one file system. */
  dir: string;
  /** The deployment the spares belong to (as sandbox markers' owner). */
  owner: string;
  /** Spares kept ready. */
  count: number;
  /** Makes `dir` what a sandbox's directory is before it starts, its workspace volume mounted. */
  prepare(dir: string): Promise<void>;
  logger: { warn(details: Record<string, unknown>, message: string): void };
}

/**
 * Sandbox directories made ahead of time, each with its workspace volume already created, formatted
 * and mounted, so a cold start claims one by renaming it to the session's directory instead of
 * paying for the image, mkfs.ext4 and the loop mount on its path. A spare is made for exactly one
 * sandbox: a claim takes it out of the list before anything awaits (two starts never get the same
 * one), it is renamed away (gone from the spares directory), and it never comes back: the sandbox's
 * removal deletes its volume with it. Refilled in the background, one at a time, after each start.
 * Only this worker claims its spares; a crashed worker's are removed by `removeAbandoned`.
 */
export class SpareWorkspaces {
  private readonly ready: string[] = [];
  private filling?: Promise<void>;
  private closed = false;
  private readonly identity = ownIdentity();

  constructor(private readonly options: SpareWorkspacesOptions) {}

  /** Spares ready to be claimed (a gauge). */
  get readyCount(): number {
    return this.ready.length;
  }

  /**
   * Moves a ready spare to `targetDir`, which must not exist yet, after `label` has written into it
   * what names it there (the sandbox's marker). False when none is ready (the caller makes the
   * directory and its volume itself). The caller calls `fill()` once its start is over, so that
   * making the next spare does not compete with that start.
   */
  async claim(targetDir: string, label: (spare: string) => void): Promise<boolean> {
    const spare = this.ready.shift();
    if (spare === undefined) return false;
    // Synchronous: a few metadata operations, each cheaper than a thread-pool round trip on a busy machine.
    try {
      label(spare);
      renameSync(spare, targetDir);
    } catch {
      await removeSandboxDirectory(spare);
      return false;
    }
    unlinkSync(path.join(targetDir, SPARE_MARKER));
    return true;
  }

  /** Starts topping the pool up in the background, unless that is under way. */
  fill(): void {
    if (this.closed || this.filling !== undefined) return;
    this.filling = this.topUp().finally(() => (this.filling = undefined));
  }

  /** Stops refilling and removes the spares not claimed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.filling;
    await Promise.all(this.ready.splice(0).map((spare) => removeSandboxDirectory(spare)));
  }

  /**
   * Removes the spares of `owner` whose worker is gone (it crashed or was killed): their volumes
   * are unmounted and their images deleted. Another deployment's spares, and those of a worker still
   * running, are left alone. Returns the names removed.
   */
  static async removeAbandoned(dir: string, owner: string): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(dir).catch(() => [])) {
      const spare = path.join(dir, name);
      const marker = await readFile(path.join(spare, SPARE_MARKER), 'utf8')
        .then((text) => JSON.parse(text) as SpareMarker)
        .catch(() => undefined);
      // A spare without its marker yet is being made by a worker that wrote nothing else either.
      if (marker?.owner !== owner || isRunning(marker.worker)) continue;
      await removeSandboxDirectory(spare);
      removed.push(name);
    }
    return removed;
  }

  private async topUp(): Promise<void> {
    while (!this.closed && this.ready.length < this.options.count) {
      const spare = path.join(this.options.dir, `${this.identity.pid}-${randomBytes(6).toString('hex')}`);
      try {
        await mkdir(spare, { recursive: true });
        const marker: SpareMarker = { owner: this.options.owner, worker: this.identity, createdAt: new Date().toISOString() };
        await writeFile(path.join(spare, SPARE_MARKER), JSON.stringify(marker));
        await this.options.prepare(spare);
      } catch (error) {
        await removeSandboxDirectory(spare).catch(() => undefined);
        this.options.logger.warn({ spare, error: (error as Error).message }, 'could not make a spare workspace volume: cold starts make their own');
        return;
      }
      if (this.closed) await removeSandboxDirectory(spare);
      else this.ready.push(spare);
    }
  }
}
