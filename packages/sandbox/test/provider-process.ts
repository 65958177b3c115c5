// A worker stand-in the tests kill with SIGKILL: a LocalSandboxProvider in a process of its own, run
// from this package's sources (see PROVIDER_PROCESS in local-provider.spares.spec.ts).
// argv[2]: JSON { baseDir, owner, runnerEntry, diskLimitBytes, spareWorkspaces, session?, command?, probes? }.
// Prints JSON lines: { spares } once its spares are ready, { sessionDir } once the session's sandbox
// is provisioned, { started: true } once the command is running (it never waits for its end), and
// { probe } with the result of each probe, run in turn once a file tool call has started the runner.
import path from 'node:path';
import type { SandboxSpec } from '../src/provider';
import { LocalSandboxProvider } from '../src/local/local-provider';
import { RunnerClient } from '../src/runner-client';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]!) as {
    baseDir: string;
    owner: string;
    runnerEntry: string;
    diskLimitBytes: number;
    spareWorkspaces: number;
    session?: SandboxSpec;
    command?: string;
    probes?: string[];
  };
  const provider = new LocalSandboxProvider({
    baseDir: options.baseDir,
    owner: options.owner,
    runnerEntry: options.runnerEntry,
    isolation: 'bwrap',
    diskLimitBytes: options.diskLimitBytes,
    spareWorkspaces: options.spareWorkspaces,
    logger: { warn: () => {} },
  });
  while ((await provider.spareWorkspaces()) < options.spareWorkspaces) await new Promise((resolve) => setTimeout(resolve, 20));
  console.log(JSON.stringify({ spares: await provider.spareWorkspaces() }));
  if (options.session === undefined) return;
  const handle = await provider.provision(options.session);
  if (!('socketPath' in handle.endpoint)) throw new Error('a local sandbox is reached at its socket');
  console.log(JSON.stringify({ sessionDir: path.dirname(path.dirname(handle.endpoint.socketPath)) }));
  if (options.command !== undefined) {
    void handle.channel!.exec({ command: options.command, timeout_ms: 600_000 });
    console.log(JSON.stringify({ started: true }));
  }
  if (options.probes === undefined) return;
  const client = RunnerClient.forHandle(handle);
  await client.glob({ pattern: '*' });
  for (const command of options.probes) console.log(JSON.stringify({ probe: await client.exec({ command, timeout_ms: 60_000 }) }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
// Stays up until killed, holding whatever it started.
setInterval(() => {}, 60_000);
