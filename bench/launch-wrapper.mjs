// pnpm bench:sandbox:launch-wrapper [--rounds=40] — what the perl in front of bubblewrap (host-launch.ts's
// CLOSE_THEN_EXEC: close inherited descriptors, exec bwrap in the same process) costs against
// spawning bwrap directly. Both arms run the same bubblewrap command line, taken from the built
// hostLaunch(): new namespaces, the host's /usr read-only, /proc, /dev, then `true`; with its
// `--args 3` fed an empty pipe, as the provider feeds it its arguments. Each round runs both,
// in alternating order, and times spawn → exit; figures are p50 etc. of each arm and of the paired
// differences, with the load average before and after.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseFlags, ROOT, stats, writeReport } from './lib.mjs';

const { rounds } = parseFlags(process.argv.slice(2), { rounds: 40 });
const { hostLaunch } = createRequire(import.meta.url)(path.join(ROOT, 'packages/sandbox/dist/local/host-launch.js'));

const bwrapArgs = ['--unshare-all', '--die-with-parent', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64'];
const launch = hostLaunch(
  { cgroupProcsFiles: [], rlimits: { fileBytes: 2 ** 30, openFiles: 1024 }, bwrapPath: '/usr/bin/bwrap', bwrapArgs: [...bwrapArgs, '--proc', '/proc', '--dev', '/dev'], command: ['/usr/bin/true'], keepFds: 4 },
  async () => undefined,
);
// hostLaunch's args are `-e PROGRAM -- KEEP BWRAP ...`: the direct arm is BWRAP ... itself.
const bwrapAt = launch.args.indexOf('--') + 2;
const arms = {
  perl: { command: launch.command, args: launch.args },
  direct: { command: launch.args[bwrapAt], args: launch.args.slice(bwrapAt + 1) },
};

function run({ command, args }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.stdio[3].end();
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${command} exited ${code}: ${stderr}`))));
  });
}

const loadBefore = loadavg();
const times = { perl: [], direct: [] };
const differences = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ['direct', 'perl'] : ['perl', 'direct'];
  const pair = {};
  for (const arm of order) pair[arm] = await run(arms[arm]);
  times.perl.push(pair.perl);
  times.direct.push(pair.direct);
  differences.push(pair.perl - pair.direct);
}
const loadAfter = loadavg();
const report = {
  rounds,
  load_average: { before: loadBefore.map((v) => v.toFixed(2)), after: loadAfter.map((v) => v.toFixed(2)) },
  direct_ms: stats(times.direct),
  perl_then_bwrap_ms: stats(times.perl),
  paired_difference_ms: stats(differences),
};
const line = (name, s) => `${name.padEnd(24)} p50 ${s.p50} ms  p90 ${s.p90}  p99 ${s.p99}  max ${s.max}`;
console.log(`${rounds} alternating rounds, load average ${report.load_average.before.join(' ')} → ${report.load_average.after.join(' ')}`);
console.log(line('bwrap spawned directly', report.direct_ms));
console.log(line('perl, then bwrap', report.perl_then_bwrap_ms));
console.log(line('paired difference', report.paired_difference_ms));
console.log(`report: ${writeReport('launch-wrapper', report)}`);
