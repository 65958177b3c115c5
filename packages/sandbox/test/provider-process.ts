// A worker stand-in the tests kill with SIGKILL: a LocalSandboxProvider in a process of its own, run
// from this package's sources (see PROVIDER_PROCESS in local-provider.spares.spec.ts).
// argv[2]: JSON { baseDir, owner, runnerEntry, diskLimitBytes, spareWorkspaces, session?, command? }.
// Prints JSON lines: { spares } once its spares are ready, { sessionDir } once the session's sandbox
// is provisioned, and { started: true } once the command is running (it never waits for its end).
import path from 'node:path';
import type { SandboxSpec } from '../src/provider';
import { LocalSandboxProvider } from '../src/local/local-provider';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]!) as {
    baseDir: string;
    owner: string;
    runnerEntry: string;
    diskLimitBytes: number;
    spareWorkspaces: number;
    session?: SandboxSpec;
    command?: string;
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
  if (options.command === undefined) return;
  void handle.channel!.exec({ command: options.command, timeout_ms: 600_000 });
  console.log(JSON.stringify({ started: true }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
// Stays up until killed, holding whatever it started.
setInterval(() => {}, 60_000);
