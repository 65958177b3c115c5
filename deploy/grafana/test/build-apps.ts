import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Jest global setup: the scrape test runs the built all-in-one and the sandbox runner its local
 * sandboxes start (turbo replays its cache when nothing changed).
 */
export default function buildApps(): void {
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--filter=@stratus/all-in-one...', '--filter=@stratus/sandbox-runner...', '--output-logs=errors-only'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
}
