import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const APPS = ['api', 'gateway', 'worker', 'egress-proxy', 'sandbox-runner', 'all-in-one'];

/**
 * Jest global setup: the images' entrypoints are build outputs, so build what the images build
 * (`turbo run build` of each app and its dependencies; turbo replays its cache when nothing changed).
 */
export default function buildApps(): void {
  const filters = APPS.map((app) => `--filter=${(JSON.parse(readFileSync(path.join(ROOT, 'apps', app, 'package.json'), 'utf8')) as { name: string }).name}...`);
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'turbo'), ['run', 'build', ...filters, '--output-logs=errors-only'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
}
