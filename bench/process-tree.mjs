// Memory of a process and everything it started, read from /proc (Linux only).
import { readdirSync, readFileSync } from 'node:fs';

function readProc(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
}

/** pid → { ppid, comm } of every process visible now. */
function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(name, 'stat');
    if (!stat) continue;
    // comm is in parentheses and may itself contain spaces or parentheses.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    table.set(Number(name), { ppid, comm });
  }
  return table;
}

/**
 * The process `rootPid` and all its descendants: their summed RSS (VmRSS, so shared pages are counted
 * once per process, as `ps` does), how many there are, and a count and RSS per command name.
 */
export function processTreeMemory(rootPid) {
  const table = processTable();
  const children = new Map();
  for (const [pid, { ppid }] of table) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  const pids = [];
  for (const stack = [rootPid]; stack.length > 0; ) {
    const pid = stack.pop();
    pids.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  let rssBytes = 0;
  const byCommand = {};
  for (const pid of pids) {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readProc(pid, 'status') ?? '');
    const rss = match ? Number(match[1]) * 1024 : 0;
    rssBytes += rss;
    const comm = table.get(pid)?.comm ?? '?';
    byCommand[comm] ??= { processes: 0, rss_mib: 0 };
    byCommand[comm].processes += 1;
    byCommand[comm].rss_mib += rss / 2 ** 20;
  }
  for (const entry of Object.values(byCommand)) entry.rss_mib = Math.round(entry.rss_mib);
  return { rss_mib: Math.round(rssBytes / 2 ** 20), processes: pids.length, descendants: pids.length - 1, by_command: byCommand };
}

/** The resident set of one process, in MiB (undefined once it has exited). */
export function processRssMib(pid) {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readProc(pid, 'status') ?? '');
  return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : undefined;
}
