import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The commands of the README's first ```sh block under a heading. */
export function readmeBlock(heading: string): string {
  const section = README.slice(README.indexOf(`## ${heading}`));
  return /```sh\n([\s\S]*?)```/.exec(section)![1]!;
}

/** The Quickstart's two command lines, comments removed: [start, test]. */
export function quickstartCommands(): [string, string] {
  const lines = readmeBlock('Quickstart')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
  return [lines[0]!, lines[1]!];
}

export function walkthroughScript(baseUrl: string): string {
  // The stream command follows the session until Ctrl-C; here it stops after a few seconds, which
  // curl reports as exit code 28 (time-out).
  return readmeBlock('Walk-through')
    .replaceAll('http://localhost:8080', baseUrl)
    .replace(/^curl -N (.*)$/m, (_line, rest: string) => `curl -N --max-time 8 ${rest} || [ $? -eq 28 ]`);
}

/** Runs the walk-through against a server and checks what a new user would see. */
export function expectWalkthroughToPass(baseUrl: string): void {
  const result = spawnSync('bash', ['-euo', 'pipefail', '-c', walkthroughScript(baseUrl)], { encoding: 'utf8', timeout: 60_000 });
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.status).toBe(0);
  const out = result.stdout;
  expect(out).toContain('"id":"stratus-demo"');
  // The stream shows the turn: running, the Bash tool call and its result, then idle.
  for (const type of ['session.status_running', 'agent.tool_use', 'agent.tool_result', 'agent.message', 'session.status_idle']) {
    expect(out).toContain(`event: ${type}`);
  }
  expect(out).toContain('Linux');
}
