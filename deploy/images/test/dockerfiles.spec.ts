import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDockerfile, type ParsedDockerfile, type Stage } from './dockerfile';

/**
 * What can be proved of the images without running a container: every COPY source exists where
 * the Dockerfile expects it (the build context, the real `turbo prune --docker` output, or what the
 * build stage makes), the entrypoint is a file `pnpm build` produces, and the image runs as non-root.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const APPS = ['api', 'gateway', 'worker', 'egress-proxy', 'sandbox-runner', 'all-in-one'];
/** The apps that answer GET /healthz on their HTTP port. */
const HEALTH_CHECKED = ['api', 'gateway', 'worker', 'egress-proxy', 'all-in-one'];
const TURBO = path.join(ROOT, 'node_modules', '.bin', 'turbo');
const packageName = (app: string) => (JSON.parse(readFileSync(path.join(ROOT, 'apps', app, 'package.json'), 'utf8')) as { name: string }).name;
const catalogVersion = (name: string) => new RegExp(`^\\s+${name}: (\\S+)$`, 'm').exec(readFileSync(path.join(ROOT, 'pnpm-workspace.yaml'), 'utf8'))![1];
const under = (dir: string, file: string) => file === dir || file.startsWith(`${dir.replace(/\/$/, '')}/`);
const rest = (dir: string, file: string) => path.posix.relative(dir, file);

const pruned = mkdtempSync(path.join(tmpdir(), 'stratus-prune-'));

// The entrypoints are build outputs: the global set-up (build-apps.ts) has built the apps.
beforeAll(() => {
  for (const app of APPS) execFileSync(TURBO, ['prune', packageName(app), '--docker', '--out-dir', path.join(pruned, app)], { cwd: ROOT, stdio: 'ignore' });
});

afterAll(() => rmSync(pruned, { recursive: true, force: true }));

describe.each(APPS)('apps/%s/Dockerfile', (app) => {
  const dockerfile: ParsedDockerfile = parseDockerfile(path.join(ROOT, 'apps', app, 'Dockerfile'));
  const stage = (name: string) => dockerfile.stages.find((s) => s.name === name)!;
  const final = dockerfile.stages.at(-1)!;
  /** The --out-dir the prune stage gives `turbo prune`. */
  const pruneOutDir = () => /--out-dir (\S+)/.exec(stage('prune').runs.join('\n'))![1]!;
  /** The directory the build stage's `pnpm … deploy` writes the app into, when it deploys. */
  const deployDir = () => /\bdeploy\b.* (\/\S+)$/m.exec(stage('build').runs.join('\n'))?.[1];

  /** Where on this machine a path of a stage comes from, or null when the base image provides it. */
  function hostPath(from: string | null, source: string): string | null {
    if (from === null) return path.join(ROOT, source);
    if (from === 'prune') {
      expect([source, under(pruneOutDir(), source)]).toEqual([source, true]);
      return path.join(pruned, app, rest(pruneOutDir(), source));
    }
    if (from === 'build') {
      const build = stage('build');
      if (under(build.workdir, source)) return path.join(ROOT, rest(build.workdir, source));
      const deployed = deployDir();
      if (deployed !== undefined && under(deployed, source)) return path.join(ROOT, 'apps', app, rest(deployed, source));
      if (source === '/usr/local/bin/node') return null;
    }
    throw new Error(`${app}: cannot tell where ${from ?? 'the context'}:${source} comes from`);
  }

  it('builds on the BASE_IMAGE argument, by default an official Node 24 slim image pinned by digest', () => {
    expect(dockerfile.args.BASE_IMAGE).toMatch(/^docker\.io\/library\/node:24[\w.-]*-slim@sha256:[0-9a-f]{64}$/);
    for (const s of dockerfile.stages) expect(s.image).toBe('${BASE_IMAGE}');
  });

  it('prunes the workspace to this app with the workspace’s own turbo', () => {
    expect(stage('prune').runs.join('\n')).toContain(`turbo@${catalogVersion('turbo')} prune ${packageName(app)} --docker --out-dir `);
    expect(stage('build').runs.join('\n')).toContain(`--filter=${packageName(app)}...`);
    expect(existsSync(path.join(pruned, app, 'json', 'apps', app, 'package.json'))).toBe(true);
  });

  it('builds with turbo only when every package turbo.json makes the build wait for is in the pruned workspace', () => {
    const turbo = JSON.parse(readFileSync(path.join(ROOT, 'turbo.json'), 'utf8')) as { tasks: { build: { dependsOn: string[] } } };
    const needed = turbo.tasks.build.dependsOn.filter((d) => d.includes('#')).map((d) => d.split('#')[0]!);
    const prunedPackages = readdirSync(path.join(pruned, app, 'json'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('package.json') && !file.includes('node_modules') && file !== 'package.json')
      .map((file) => (JSON.parse(readFileSync(path.join(pruned, app, 'json', file), 'utf8')) as { name: string }).name);
    if (/\bturbo run build\b/.test(stage('build').runs.join('\n'))) for (const pkg of needed) expect(prunedPackages).toContain(pkg);
    else expect(stage('build').runs.join('\n')).toContain(`pnpm --filter=${packageName(app)}... run build`);
  });

  it('copies only sources that exist: in the context, in the turbo prune --docker output, in the build', () => {
    for (const s of dockerfile.stages) {
      for (const copy of s.copies) {
        for (const source of copy.sources) {
          const file = hostPath(copy.from, source);
          if (file !== null) expect([source, existsSync(file)]).toEqual([source, true]);
        }
      }
    }
  });

  it('starts node (exec form, so node is PID 1) on an entrypoint file that pnpm build produces', () => {
    const [node, script] = final.entrypoint!;
    expect(node).toMatch(/(^|\/)node$/);
    const inImage = path.posix.resolve(final.workdir, script!);
    const copy = final.copies.find((c) => under(path.posix.resolve(final.workdir, c.destination), inImage))!;
    expect(copy).toBeDefined();
    const source = path.posix.join(copy.sources[0]!, rest(path.posix.resolve(final.workdir, copy.destination), inImage));
    const file = hostPath(copy.from, source);
    expect(file).not.toBeNull();
    expect([file, existsSync(file!)]).toEqual([file, true]);
  });

  it('runs as a non-root user', () => {
    expect(final.user).not.toBeNull();
    const [user, group] = final.user!.split(':');
    expect(['root', '0']).not.toContain(user);
    expect(['root', '0']).not.toContain(group);
  });

  it(HEALTH_CHECKED.includes(app) ? 'checks its health on /healthz' : 'has no HEALTHCHECK (it serves no HTTP)', () => {
    if (HEALTH_CHECKED.includes(app)) expect(final.healthcheck).toMatch(/^CMD \["node", "-e", ".*\/healthz/);
    else expect(final.healthcheck).toBeNull();
  });
});

/** The final stage of each image, for the checks across them. */
const finals: Array<[string, Stage]> = APPS.map((app) => [app, parseDockerfile(path.join(ROOT, 'apps', app, 'Dockerfile')).stages.at(-1)!]);

describe('the images together', () => {
  it('run as the uid/gid the Helm chart runs pods as', () => {
    const helpers = readFileSync(path.join(ROOT, 'deploy', 'helm', 'stratus', 'templates', '_helpers.tpl'), 'utf8');
    const uid = /runAsUser: (\d+)/.exec(helpers)![1];
    const gid = /runAsGroup: (\d+)/.exec(helpers)![1];
    for (const [app, final] of finals) expect([app, final.user]).toEqual([app, `${uid}:${gid}`]);
  });

  it('keep the migrate command where the chart’s migrations Job runs it, in the api image', () => {
    const values = readFileSync(path.join(ROOT, 'deploy', 'helm', 'stratus', 'values.yaml'), 'utf8');
    const script = /command: \["node", "([^"]+)"\]/.exec(values)![1]!;
    const api = finals.find(([app]) => app === 'api')![1];
    const copy = api.copies.find((c) => c.from === 'build')!;
    expect(existsSync(path.join(ROOT, rest('/repo', copy.sources[0]!), script))).toBe(true);
    expect(api.workdir).toBe('/app');
    expect(copy.destination).toBe('./');
  });
});
