import { readdir, readFile } from 'node:fs/promises';

/**
 * Pids of live (non-zombie) processes on this machine with `marker` as one of their arguments: a
 * command a test started with a unique argument (a sleep duration, a sandbox path), seen from the host.
 */
export async function pidsWithArgument(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const state = (await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.[0];
    if (cmdline.split('\0').includes(marker) && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}
