// Memory of a process and everything it started, read from /proc (Linux only).
import { execFileSync } from 'node:child_process';
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

/** `rootPid` and every process below it in `table`. */
function descendants(table, rootPid) {
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
  return pids;
}

/**
 * The process `rootPid` and all its descendants: their summed RSS (VmRSS, so shared pages are counted
 * once per process, as `ps` does), how many there are, and a count and RSS per command name.
 */
export function processTreeMemory(rootPid) {
  const table = processTable();
  const pids = descendants(table, rootPid);
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

let ticksPerSecond;

/** CPU milliseconds a process has used, with those of its children it has reaped (utime+stime+cutime+cstime). */
function cpuMs(pid) {
  const stat = readProc(pid, 'stat');
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  // Fields 14–17 of /proc/<pid>/stat, counted from 3 after the command name.
  const ticks = fields.slice(11, 15).reduce((sum, v) => sum + Number(v), 0);
  return (ticks * 1000) / ticksPerSecond;
}

/**
 * CPU milliseconds used so far, per process: the server's process tree (with its sandboxes), the
 * PostgreSQL backends serving `database` (their process title names it), every Redis process of the
 * machine; and this process's own (the benchmark's clients and scripted model). cpuPer compares two
 * readings process by process: one that started in between counts whole, one that ended in between
 * is counted in its parent once reaped (the server's children) or lost (a closed backend), never
 * subtracted. Only the Redis figure counts other users of the machine too.
 */
export function cpuReading(serverPid, database) {
  const table = processTable();
  const perProcess = (pids) => new Map(pids.map((pid) => [pid, cpuMs(pid)]));
  const byCommand = (name) => [...table].filter(([, { comm }]) => comm === name).map(([pid]) => pid);
  const servesDatabase = (pid) => (readProc(pid, 'cmdline') ?? '').split(' ').includes(database);
  const own = process.cpuUsage();
  return {
    server: perProcess(descendants(table, serverPid)),
    postgres: perProcess(byCommand('postgres').filter(servesDatabase)),
    redis: perProcess(byCommand('redis-server')),
    bench: new Map([[process.pid, (own.user + own.system) / 1000]]),
  };
}

/** CPU milliseconds per unit of work between two readings of cpuReading, per part and in all. */
export function cpuPer(before, after, units) {
  const per = {};
  let total = 0;
  for (const part of Object.keys(after)) {
    let ms = 0;
    for (const [pid, used] of after[part]) ms += used - (before[part].get(pid) ?? 0);
    total += ms;
    per[part] = Math.round((ms / Math.max(units, 1)) * 100) / 100;
  }
  per.total = Math.round((total / Math.max(units, 1)) * 100) / 100;
  return per;
}
