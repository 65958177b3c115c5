import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Jest global setup: makes sure helm is in .tools/ and tells the tests where. */
export default function fetchHelm(): void {
  const script = path.join(__dirname, '..', 'scripts', 'fetch-helm.mjs');
  process.env.STRATUS_HELM = execFileSync(process.execPath, [script], { encoding: 'utf8' }).trim();
}
