// pnpm bench:sandbox — sandbox provision→ready for both providers, with and without the warm pool.
// Kubernetes runs against the API test server, whose fake kubelet starts the runner as a local
// process: "own overhead" is provision() time minus the pod's own start (Job received → pod Ready),
// i.e. what Stratus adds: creating the Secret and Job, the watch delivering Ready, the health check.
// Density: IDLE_SANDBOXES local sandboxes that each ran one command, then sat idle: the RSS of
// their process trees (every process whose ancestry leads to the sandbox, read from /proc) summed
// and divided by their number, RSS and PSS, plus the worker's resident helpers (the entry server and
// the egress-bridge helper: one each per worker, whatever the number of sandboxes) apart; and `true`
// run EXEC_RUNS times in one running sandbox. With BENCH_BASELINE_DIST (another build of
// @stratus/sandbox, as BENCH_SANDBOX_DIST), `true` alternates between a sandbox of this build and one
// of the baseline, in one sitting, and the load average is reported around it.
// BENCH_SECTIONS (comma-separated: kubernetes, local, density, hardening, egress) picks what runs; default all.
// BENCH_SANDBOX_DIST measures another build of @stratus/sandbox (say the previous code's dist copied
// into packages/sandbox/), so a change can be compared with what it replaces in one sitting.
// Prints the figures and writes a JSON report under bench/reports/.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const SANDBOX_DIST = path.resolve(root, process.env.BENCH_SANDBOX_DIST ?? 'packages/sandbox/dist');
const { KubernetesSandboxProvider, LocalSandboxProvider, RunnerClient } = require(path.join(SANDBOX_DIST, 'index.js'));
const BASELINE_DIST = process.env.BENCH_BASELINE_DIST ? path.resolve(root, process.env.BENCH_BASELINE_DIST) : undefined;
const RUNNER_ENTRY = path.join(root, 'apps/sandbox-runner/dist/main.js');
const { startKubeApiServer } = require(path.join(root, 'packages/testing/dist/kube-api-server/index.js'));
const { createEgressProxy, listenOnUnixSocket } = require(path.join(root, 'apps/egress-proxy/dist/index.js'));
const PROXY_ENTRY = path.join(root, 'apps/egress-proxy/dist/main.js');
const EGRESS_REQUESTS = Number(process.env.BENCH_EGRESS_REQUESTS ?? 1000);
const EGRESS_CONCURRENCY = 8;

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const IDLE_SANDBOXES = Number(process.env.BENCH_IDLE_SANDBOXES ?? 100);
const EXEC_RUNS = Number(process.env.BENCH_EXEC_RUNS ?? 200);
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'kubernetes,local,density,hardening,egress').split(','));
const ENVIRONMENT = 'env_bench';
const TARGETS = { warmClaimP50Ms: 50, kubernetesOverheadP50Ms: 100, idleRssPerSandboxMiB: 8, trueExecP50Ms: 20, hardeningP50Ms: 50 };

let sequence = 0;
const spec = () => ({
  sessionId: `sess_bench${process.pid}_${++sequence}`,
  workspaceId: 'wksp_bench',
  environmentId: ENVIRONMENT,
  networking: { type: 'unrestricted' },
  environmentVariables: {},
});
const template = () => {
  const { sessionId: _, ...rest } = spec();
  return rest;
};

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const round = (v) => Math.round(v * 10) / 10;
  return { n: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length), min: round(sorted[0]), max: round(sorted.at(-1)) };
}

async function until(check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the warm pool');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Cold provisions; `timing(handle)` may return the cluster's own share of each. */
async function cold(provider, timing) {
  const total = [];
  const own = [];
  for (let i = 0; i < RUNS; i++) {
    const s = spec();
    const began = performance.now();
    const handle = await provider.provision(s);
    const elapsed = performance.now() - began;
    total.push(elapsed);
    const podStart = timing?.(handle);
    if (podStart !== undefined) own.push(elapsed - podStart);
    await provider.destroy(s.sessionId);
  }
  return { total: stats(total), ...(own.length > 0 ? { ownOverhead: stats(own) } : {}) };
}

/** Claims from a warm pool that is full before each claim (refilling is not what is measured). */
async function warm(provider) {
  provider.prewarm(template());
  const claims = [];
  for (let i = 0; i < RUNS; i++) {
    await until(() => provider.warmSandboxes(ENVIRONMENT) >= 1);
    const s = spec();
    const began = performance.now();
    const handle = await provider.provision(s);
    claims.push(performance.now() - began);
    if (!handle.warm) throw new Error('expected a warm sandbox');
    await provider.destroy(s.sessionId);
  }
  return { claim: stats(claims) };
}

async function kubernetes(work) {
  const server = await startKubeApiServer({ kubelet: { runnerEntry: RUNNER_ENTRY, workDir: path.join(work, 'pods') } });
  const options = { connection: { kubeconfig: server.kubeconfig() }, namespace: 'stratus-sandboxes', runnerImage: 'ghcr.io/stratus/sandbox-runner:bench', logger: { warn: () => {} } };
  try {
    const coldProvider = new KubernetesSandboxProvider(options);
    await coldProvider.start();
    // One throwaway start: loads the client's lazy parts and the runner's code into the page cache.
    const first = spec();
    await coldProvider.provision(first);
    await coldProvider.destroy(first.sessionId);
    const podStart = (handle) => {
      const pods = server.store.list('pods', 'stratus-sandboxes').filter((p) => p.metadata.labels?.['stratus.dev/session-id'] === handle.sessionId);
      const t = server.kubelet.timingsOfJob(pods[0]?.metadata.labels?.['batch.kubernetes.io/job-name']);
      return t?.ready !== undefined && t.jobCreated !== undefined ? t.ready - t.jobCreated : undefined;
    };
    const coldResult = await cold(coldProvider, podStart);
    await coldProvider.shutdown();
    const warmProvider = new KubernetesSandboxProvider({ ...options, warmPool: { sizes: { [ENVIRONMENT]: 2 } } });
    await warmProvider.start();
    const warmResult = await warm(warmProvider);
    await warmProvider.shutdown();
    return { cold: coldResult, warm: warmResult };
  } finally {
    await server.close();
  }
}

async function local(work) {
  // As configured by default: the worker's egress proxy started on first need (once, before the runs).
  const coldProvider = new LocalSandboxProvider({ baseDir: path.join(work, 'local-cold'), owner: 'bench', runnerEntry: RUNNER_ENTRY, egressProxy: { entry: PROXY_ENTRY }, readyTimeoutMs: 60_000, logger: { warn: () => {} } });
  const first = spec();
  await coldProvider.provision(first);
  await coldProvider.destroy(first.sessionId);
  const isolation = coldProvider.isolation;
  const coldResult = await cold(coldProvider);
  await coldProvider.shutdown();
  const warmProvider = new LocalSandboxProvider({ baseDir: path.join(work, 'local-warm'), owner: 'bench', runnerEntry: RUNNER_ENTRY, egressProxy: { entry: PROXY_ENTRY }, warmPool: { sizes: { [ENVIRONMENT]: 2 } }, logger: { warn: () => {} } });
  const warmResult = await warm(warmProvider);
  await warmProvider.shutdown();
  return { isolation, cold: coldResult, warm: warmResult };
}

/** Every process on the host: pid → { parent, rssKiB, pssKiB, cmdline }. */
function processTable() {
  const table = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0);
      // PSS shares each page among the processes that map it (the same bwrap and sleep in every sandbox).
      const pssKiB = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      const pidNamespace = readlinkSync(`/proc/${entry}/ns/pid`);
      table.set(Number(entry), { parent, rssKiB, pssKiB, pidNamespace, cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8') });
    } catch {
      // exited meanwhile
    }
  }
  return table;
}

/**
 * RSS of the sandboxes' process trees: the processes whose command line names a sandbox's workspace
 * directory (bubblewrap's `--bind <workspace> /workspace`, whatever the version of the provider), all
 * their descendants and every process in their PID namespaces, counted once.
 */
function sandboxTreesRss(workspaceDirs) {
  const table = processTable();
  const inTree = new Set();
  for (const [pid, proc] of table) if (workspaceDirs.some((dir) => proc.cmdline.split('\0').includes(dir))) inTree.add(pid);
  for (let grown = true; grown; ) {
    grown = false;
    for (const [pid, proc] of table) {
      if (!inTree.has(pid) && inTree.has(proc.parent)) {
        inTree.add(pid);
        grown = true;
      }
    }
  }
  const hostPidNamespace = readlinkSync('/proc/self/ns/pid');
  const namespaces = new Set([...inTree].map((pid) => table.get(pid).pidNamespace).filter((ns) => ns !== hostPidNamespace));
  for (const [pid, proc] of table) if (namespaces.has(proc.pidNamespace)) inTree.add(pid);
  let rssKiB = 0;
  let pssKiB = 0;
  let nodeProcesses = 0;
  const programs = {};
  for (const pid of inTree) {
    const proc = table.get(pid);
    rssKiB += proc.rssKiB;
    pssKiB += proc.pssKiB;
    const program = path.basename(proc.cmdline.split('\0')[0]);
    programs[program] = (programs[program] ?? 0) + 1;
    if (program === 'node') nodeProcesses++;
  }
  return { processes: inTree.size, programs, nodeProcesses, rssKiB, pssKiB };
}

/** The worker's resident perl helpers (entry server, egress-bridge helper): this process's perl children. */
function residentHelpers() {
  const helpers = [...processTable().values()].filter((proc) => proc.parent === process.pid && proc.cmdline.startsWith('/usr/bin/perl\0'));
  return { processes: helpers.length, rssKiB: helpers.reduce((sum, proc) => sum + proc.rssKiB, 0), pssKiB: helpers.reduce((sum, proc) => sum + proc.pssKiB, 0) };
}

/** `true` EXEC_RUNS times in each client, alternating which goes first, with the load average around it. */
async function trueLatency(clients) {
  const times = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
  const before = loadavg();
  for (let i = 0; i < EXEC_RUNS; i++) {
    const names = Object.keys(clients);
    for (const name of i % 2 === 0 ? names : names.reverse()) {
      const began = performance.now();
      const result = await clients[name].exec({ command: 'true' });
      times[name].push(performance.now() - began);
      if (result.exit_code !== 0) throw new Error(`true failed: ${result.stderr}`);
    }
  }
  return { ...Object.fromEntries(Object.entries(times).map(([name, values]) => [name, stats(values)])), loadAverage: { before, after: loadavg() } };
}

/** IDLE_SANDBOXES sandboxes that each ran `true`, left idle; then `true` EXEC_RUNS times in one of them (and in a baseline build's). */
async function density(work) {
  const baseDir = path.join(work, 'density');
  const provider = new LocalSandboxProvider({ baseDir, owner: 'bench', runnerEntry: RUNNER_ENTRY, egressProxy: { entry: PROXY_ENTRY }, readyTimeoutMs: 60_000, logger: { warn: () => {} } });
  const clients = [];
  let baselineProvider;
  try {
    const sessions = [];
    for (let i = 0; i < IDLE_SANDBOXES; i++) {
      const s = spec();
      const client = RunnerClient.forHandle(await provider.provision(s));
      clients.push(client);
      const result = await client.exec({ command: 'true' });
      if (result.exit_code !== 0) throw new Error(`true failed: ${result.stderr}`);
      sessions.push(s.sessionId);
    }
    // Idle: what a sandbox keeps between turns (file-tool runners started on demand have exited).
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_IDLE_SETTLE_MS ?? 2000)));
    const trees = sandboxTreesRss(sessions.map((id) => path.join(baseDir, id, 'workspace')));
    const helpers = residentHelpers();
    const perSandbox = (kib) => Math.round((kib / 1024 / IDLE_SANDBOXES) * 100) / 100;
    const compared = { current: clients[0] };
    if (BASELINE_DIST !== undefined) {
      const baseline = require(path.join(BASELINE_DIST, 'index.js'));
      baselineProvider = new baseline.LocalSandboxProvider({ baseDir: path.join(work, 'baseline'), owner: 'bench', runnerEntry: RUNNER_ENTRY, egressProxy: { entry: PROXY_ENTRY }, readyTimeoutMs: 60_000, logger: { warn: () => {} } });
      compared.baseline = baseline.RunnerClient.forHandle(await baselineProvider.provision(spec()));
      clients.push(compared.baseline);
    }
    const latency = await trueLatency(compared);
    return {
      isolation: provider.isolation,
      sandboxes: IDLE_SANDBOXES,
      idle: { ...trees, rssPerSandboxMiB: perSandbox(trees.rssKiB), pssPerSandboxMiB: perSandbox(trees.pssKiB) },
      residentHelpers: { ...helpers, rssPerSandboxMiB: perSandbox(helpers.rssKiB), pssPerSandboxMiB: perSandbox(helpers.pssKiB) },
      trueExec: latency.current,
      ...(latency.baseline ? { trueExecBaseline: latency.baseline, baselineBuild: path.relative(root, BASELINE_DIST) } : {}),
      trueExecLoadAverage: latency.loadAverage,
    };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await provider.shutdown();
    await baselineProvider?.shutdown();
  }
}

/**
 * The same HTTP load (EGRESS_REQUESTS GETs, EGRESS_CONCURRENCY at a time, a new connection each) against
 * a loopback server: from the host directly, and from inside a local sandbox through the runner's
 * bridge, the proxy socket and the egress proxy. Run by node in both places.
 */
const LOAD_SCRIPT = `
const http = require('node:http');
const [target, total, concurrency] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const proxy = process.env.HTTP_PROXY ? new URL(process.env.HTTP_PROXY) : undefined;
const auth = proxy ? 'Basic ' + Buffer.from(decodeURIComponent(proxy.username) + ':' + decodeURIComponent(proxy.password)).toString('base64') : undefined;
const one = () => new Promise((resolve, reject) => {
  const began = performance.now();
  const url = new URL(target);
  const options = proxy
    ? { host: proxy.hostname, port: proxy.port, path: target, headers: { host: url.host, 'proxy-authorization': auth }, agent: false }
    : { host: url.hostname, port: url.port, path: url.pathname, agent: false };
  http.get(options, (res) => { res.resume(); res.on('end', () => res.statusCode === 200 ? resolve(performance.now() - began) : reject(new Error('status ' + res.statusCode))); }).on('error', reject);
});
(async () => {
  const latencies = [];
  let next = 0;
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => { while (next++ < total) latencies.push(await one()); }));
  const elapsed = performance.now() - began;
  const sequential = [];
  for (let i = 0; i < 200; i++) sequential.push(await one());
  console.log(JSON.stringify({ requestsPerSecond: Math.round(total / (elapsed / 1000)), sequential }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

async function egress(work) {
  const upstream = createServer((_req, res) => res.end('ok'));
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = upstream.address().port;
  const key = 'bench-egress-key-0123456789abcdef0123';
  const socketPath = path.join(work, 'egress.sock');
  // Loopback is refused by default; the bench names its upstream and lets the proxy reach it.
  const proxy = createEgressProxy({ signingKeys: [key], allowPrivateAddresses: true, resolver: async () => [{ address: '127.0.0.1', family: 4 }], logger: { info: () => {}, warn: () => {} } });
  await listenOnUnixSocket(proxy, socketPath);
  const provider = new LocalSandboxProvider({ baseDir: path.join(work, 'egress'), runnerEntry: RUNNER_ENTRY, egressProxy: { socketPath, signingKey: key }, logger: { warn: () => {} } });
  try {
    const scriptFile = path.join(work, 'load.cjs');
    writeFileSync(scriptFile, LOAD_SCRIPT);
    // Asynchronously: the upstream server answers from this very process.
    const { stdout } = await promisify(execFile)(process.execPath, [scriptFile, `http://127.0.0.1:${port}/`, String(EGRESS_REQUESTS), String(EGRESS_CONCURRENCY)], { env: {} });
    const direct = JSON.parse(stdout);
    const s = { ...spec(), networking: { type: 'allowed_hosts', allowed_hosts: ['upstream.bench'] } };
    const handle = await provider.provision(s);
    writeFileSync(path.join(work, 'egress', s.sessionId, 'workspace', 'load.cjs'), LOAD_SCRIPT);
    const client = RunnerClient.forHandle(handle);
    const run = await client.exec({ command: `node load.cjs http://upstream.bench:${port}/ ${EGRESS_REQUESTS} ${EGRESS_CONCURRENCY}`, timeout_ms: 300_000, max_output_bytes: 1_000_000 });
    await client.close();
    if (run.exit_code !== 0) throw new Error(`load inside the sandbox failed: ${run.stderr}`);
    const proxied = JSON.parse(run.stdout);
    const directLatency = stats(direct.sequential);
    const proxiedLatency = stats(proxied.sequential);
    return {
      direct: { requestsPerSecond: direct.requestsPerSecond, latency: directLatency },
      proxied: { requestsPerSecond: proxied.requestsPerSecond, latency: proxiedLatency },
      addedLatencyP50Ms: Math.round((proxiedLatency.p50 - directLatency.p50) * 10) / 10,
    };
  } finally {
    await provider.shutdown();
    proxy.close();
    upstream.close();
  }
}

/**
 * What the hardening costs a cold start, measured on a busy machine: rounds of one hardened
 * provision() (as configured by default: own uid, cgroups, rlimits, allow-listed file system,
 * workspace volume, seccomp filter, network namespace with the egress bridge) and one minimal
 * bubblewrap launch (the shape before the hardening: the host's / read-only, shared network,
 * workspace and socket directory bound, nothing else) of the same first process: the init a root
 * worker's sandbox starts (a shell that prints the ready line and sleeps), or the runner otherwise.
 * Comparing launches of different programs would measure the programs, not the hardening. The
 * rounds alternate which goes first; each round's difference is taken on the same machine load and
 * their median is the figure. Each hardened start also reports its own steps (`startupSteps`).
 * A hardened start takes a spare workspace (made ahead, volume mounted) when one is ready: the bench
 * waits for the spares to be refilled before it, as between cold starts spaced further apart than a
 * spare takes to make, and measures a third start per round, of a provider without spares, for the
 * cost when none is ready (a burst of cold starts).
 */
async function hardeningAB(work) {
  const { isRunnerReadyLine, runnerReadyLine } = require(path.join(root, 'packages/sandbox-protocol/dist/index.js'));
  const firstProcess = process.getuid() === 0 ? ['/bin/sh', '-c', 'echo "$0"; exec sleep infinity', runnerReadyLine('init').trim()] : [process.execPath, RUNNER_ENTRY];
  const SPARES = 2;
  const providerOf = (name, spareWorkspaces) =>
    new LocalSandboxProvider({ baseDir: path.join(work, name), owner: 'bench', runnerEntry: RUNNER_ENTRY, egressProxy: { entry: PROXY_ENTRY }, spareWorkspaces, logger: { warn: () => {} } });
  const hardened = providerOf('ab-hardened', SPARES);
  const withoutSpares = providerOf('ab-nospare', 0);
  // An older build (BENCH_SANDBOX_DIST) has no spares to wait for.
  const sparesRefilled = async () => {
    const deadline = Date.now() + 60_000;
    while (typeof hardened.spareWorkspaces === 'function' && (await hardened.spareWorkspaces()) < SPARES) {
      if (Date.now() > deadline) throw new Error('spare workspaces were not refilled within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const minimalBase = path.join(work, 'ab-minimal');
  const minimal = async () => {
    const dir = path.join(minimalBase, `m${++sequence}`);
    const began = performance.now();
    mkdirSync(path.join(dir, 'workspace'), { recursive: true });
    mkdirSync(path.join(dir, 'run'));
    const env = {
      PATH: '/usr/bin:/bin',
      STRATUS_RUNNER_TOKEN: 'bench-token-0123456789abcdef',
      STRATUS_RUNNER_SOCKET: path.join(dir, 'run', 'runner.sock'),
      STRATUS_WORKSPACE_DIR: path.join(dir, 'workspace'),
      STRATUS_RUNNER_EXIT_ON_STDIN_CLOSE: '1',
    };
    const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--bind', path.join(dir, 'workspace'), path.join(dir, 'workspace'), '--bind', path.join(dir, 'run'), path.join(dir, 'run'), '--unshare-pid', '--die-with-parent', ...firstProcess];
    const child = spawn('bwrap', args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    await new Promise((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => isRunnerReadyLine(line) && resolve());
      child.once('exit', (code) => reject(new Error(`minimal bwrap launch exited with ${code}`)));
    });
    const elapsed = performance.now() - began;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    return elapsed;
  };
  // The workspace volume's share: the same attach (image, mkfs, mount) and removal a hardened start does, alone.
  const { WorkspaceVolumes, removeSandboxDirectory } = require(path.join(root, 'packages/sandbox/dist/local/workspace-volume.js'));
  const volumes = await WorkspaceVolumes.detect();
  const volumeAttach = async () => {
    if (!(volumes instanceof WorkspaceVolumes)) return undefined;
    const dir = path.join(minimalBase, `v${++sequence}`);
    mkdirSync(path.join(dir, 'workspace'), { recursive: true });
    const began = performance.now();
    await volumes.attach(dir, path.join(dir, 'workspace'), 10 * 2 ** 30, undefined);
    const elapsed = performance.now() - began;
    await removeSandboxDirectory(dir);
    return elapsed;
  };
  const startOf = (provider) => async () => {
    await sparesRefilled();
    const s = spec();
    const began = performance.now();
    const handle = await provider.provision(s);
    const elapsed = performance.now() - began;
    await provider.destroy(s.sessionId);
    return { elapsed, steps: handle.startupSteps ?? {} };
  };
  const hardenedStart = startOf(hardened);
  const noSpareStart = startOf(withoutSpares);
  const load = loadavg();
  // A throwaway start of each: the egress proxy, the seccomp filter and the page cache are ready after.
  await hardenedStart();
  await noSpareStart();
  await minimal();
  const pairs = [];
  for (let round = 0; round < RUNS; round++) {
    // Rotating which goes first cancels what an earlier start of a round does for a later one.
    const pair = {};
    const starts = [
      async () => ({ elapsed: pair.hardened, steps: pair.steps } = await hardenedStart()),
      async () => (pair.minimal = await minimal()),
      async () => ({ elapsed: pair.noSpare, steps: pair.noSpareSteps } = await noSpareStart()),
    ];
    for (let i = 0; i < starts.length; i++) await starts[(round + i) % starts.length]();
    pair.volume = await volumeAttach();
    pairs.push(pair);
  }
  await hardened.shutdown();
  await withoutSpares.shutdown();
  const stepsOf = (key) => {
    const names = [...new Set(pairs.flatMap((pair) => Object.keys(pair[key])))];
    return Object.fromEntries(names.map((name) => [name, stats(pairs.map((pair) => pair[key][name] ?? 0))]));
  };
  return {
    isolation: hardened.isolation,
    loadAverage: { before: load, after: loadavg() },
    firstProcess: firstProcess[0] === process.execPath ? 'runner' : 'init',
    hardenedSteps: stepsOf('steps'),
    withoutSpare: { hardened: stats(pairs.map((pair) => pair.noSpare)), pairedDifference: stats(pairs.map((pair) => pair.noSpare - pair.minimal)), steps: stepsOf('noSpareSteps') },
    hardened: stats(pairs.map((pair) => pair.hardened)),
    minimal: stats(pairs.map((pair) => pair.minimal)),
    pairedDifference: stats(pairs.map((pair) => pair.hardened - pair.minimal)),
    ...(volumes instanceof WorkspaceVolumes ? { workspaceVolumeAttach: stats(pairs.map((pair) => pair.volume)) } : {}),
  };
}

const work = mkdtempSync(path.join(tmpdir(), 'sbx-bench-'));
// Local sandboxes run as uids of their own, which must pass through to their directories.
chmodSync(work, 0o711);
const row = (name, s) => `  ${name.padEnd(44)} p50 ${String(s.p50).padStart(7)} ms   p99 ${String(s.p99).padStart(7)} ms   mean ${String(s.mean).padStart(7)} ms   (n=${s.n})`;
const met = (ok) => (ok ? 'met' : 'MISSED');
const printHardening = (ab) => {
  const load = (values) => values.map((value) => value.toFixed(1)).join(' ');
  console.log(`hardening cost on a local cold start (${ab.isolation}, first process: ${ab.firstProcess}), ${RUNS} interleaved rounds, load average ${load(ab.loadAverage.before)} → ${load(ab.loadAverage.after)}:`);
  console.log(row('hardened provision()', ab.hardened));
  console.log(row('minimal bubblewrap launch', ab.minimal));
  console.log(row('paired difference (hardened - minimal)', ab.pairedDifference));
  for (const [step, figures] of Object.entries(ab.hardenedSteps)) console.log(row(`  hardened step: ${step}`, figures));
  console.log(row('hardened, no spare ready', ab.withoutSpare.hardened));
  console.log(row('paired difference (no spare - minimal)', ab.withoutSpare.pairedDifference));
  for (const [step, figures] of Object.entries(ab.withoutSpare.steps)) console.log(row(`  no-spare step: ${step}`, figures));
  if (ab.workspaceVolumeAttach) console.log(row('workspace volume alone (image, mkfs, mount)', ab.workspaceVolumeAttach));
  console.log(`target: hardening p50 <= ${TARGETS.hardeningP50Ms} ms: ${met(ab.pairedDifference.p50 <= TARGETS.hardeningP50Ms)}`);
};
try {
  // `--hardening-ab` (pnpm bench:sandbox:hardening) is the hardening section alone.
  const wanted = process.argv.includes('--hardening-ab') ? new Set(['hardening']) : SECTIONS;
  const sections = { kubernetes, local, density, hardening: hardeningAB, egress };
  const results = {};
  for (const [name, run] of Object.entries(sections)) if (wanted.has(name)) results[name] = await run(work);
  const report = {
    benchmark: 'sandbox provision→ready',
    date: new Date().toISOString(),
    node: process.version,
    sandboxBuild: path.relative(root, SANDBOX_DIST),
    cpus: cpus().length,
    runs: RUNS,
    targets: TARGETS,
    results,
    verdict: {
      ...(results.kubernetes && results.local
        ? { warmClaimP50: results.kubernetes.warm.claim.p50 <= TARGETS.warmClaimP50Ms && results.local.warm.claim.p50 <= TARGETS.warmClaimP50Ms }
        : {}),
      ...(results.kubernetes ? { kubernetesOverheadP50: results.kubernetes.cold.ownOverhead.p50 <= TARGETS.kubernetesOverheadP50Ms } : {}),
      ...(results.density
        ? { idleRssPerSandbox: results.density.idle.rssPerSandboxMiB <= TARGETS.idleRssPerSandboxMiB, trueExecP50: results.density.trueExec.p50 <= TARGETS.trueExecP50Ms }
        : {}),
      ...(results.hardening ? { hardeningP50: results.hardening.pairedDifference.p50 <= TARGETS.hardeningP50Ms } : {}),
    },
  };
  console.log(`sandbox provision→ready, ${RUNS} runs each, node ${process.version}, ${cpus().length} CPUs, build ${report.sandboxBuild}`);
  if (results.kubernetes) {
    console.log(row('kubernetes cold (total)', results.kubernetes.cold.total));
    console.log(row('kubernetes cold (Stratus own overhead)', results.kubernetes.cold.ownOverhead));
    console.log(row('kubernetes warm-pool claim', results.kubernetes.warm.claim));
    console.log(`target: own overhead on a cold Kubernetes start p50 <= ${TARGETS.kubernetesOverheadP50Ms} ms: ${met(report.verdict.kubernetesOverheadP50)}`);
  }
  if (results.local) {
    console.log(row(`local cold (${results.local.isolation})`, results.local.cold.total));
    console.log(row(`local warm-pool claim (${results.local.isolation})`, results.local.warm.claim));
  }
  if (report.verdict.warmClaimP50 !== undefined) console.log(`target: warm-pool claim p50 <= ${TARGETS.warmClaimP50Ms} ms: ${met(report.verdict.warmClaimP50)}`);
  if (results.density) {
    const { idle, residentHelpers: helpers, trueExec, trueExecBaseline, trueExecLoadAverage, sandboxes } = results.density;
    const programs = Object.entries(idle.programs).map(([program, count]) => `${count} ${program}`).join(', ');
    console.log(`density (${results.density.isolation}), ${sandboxes} idle sandboxes that each ran one command:`);
    console.log(`  idle RSS per sandbox ${idle.rssPerSandboxMiB} MiB, PSS ${idle.pssPerSandboxMiB} MiB (${idle.processes} processes: ${programs}; ${Math.round(idle.rssKiB / 1024)} MiB RSS in all)`);
    console.log(`  the worker's resident helpers: ${helpers.processes} processes, ${Math.round(helpers.rssKiB / 1024)} MiB RSS (${helpers.rssPerSandboxMiB} MiB per sandbox), PSS ${helpers.pssPerSandboxMiB} MiB per sandbox`);
    console.log(`  \`true\`, ${EXEC_RUNS} runs, load average ${trueExecLoadAverage.before.map((v) => v.toFixed(1)).join(' ')} → ${trueExecLoadAverage.after.map((v) => v.toFixed(1)).join(' ')}:`);
    console.log(row('`true` in a running sandbox', trueExec));
    if (trueExecBaseline) console.log(row(`\`true\`, baseline ${results.density.baselineBuild} (alternating)`, trueExecBaseline));
    console.log(`targets: idle RSS <= ${TARGETS.idleRssPerSandboxMiB} MiB: ${met(report.verdict.idleRssPerSandbox)}; \`true\` p50 <= ${TARGETS.trueExecP50Ms} ms: ${met(report.verdict.trueExecP50)}`);
  }
  if (results.hardening) printHardening(results.hardening);
  if (results.egress) {
    console.log(`egress, ${EGRESS_REQUESTS} GETs ${EGRESS_CONCURRENCY} at a time (new connection each) to a loopback server:`);
    console.log(`  direct from the host              ${String(results.egress.direct.requestsPerSecond).padStart(7)} req/s   p50 ${results.egress.direct.latency.p50} ms (sequential)`);
    console.log(`  sandbox → bridge → proxy socket   ${String(results.egress.proxied.requestsPerSecond).padStart(7)} req/s   p50 ${results.egress.proxied.latency.p50} ms (sequential), added p50 ${results.egress.addedLatencyP50Ms} ms`);
  }
  const dir = path.join(root, 'bench', 'reports');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `sandbox-${report.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${path.relative(root, file)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
