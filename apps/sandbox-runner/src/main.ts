import { setFlagsFromString } from 'node:v8';
import { runnerReadyLine } from '@stratus/sandbox-protocol';
import { ConfigError, loadConfig } from './config';
import { startRunner } from './runner';

// grep runs model-written regular expressions on the event loop. With this flag V8 falls back to its
// linear-time engine when a regex backtracks excessively, so `(a+)+$` cannot freeze the runner (and
// with it the abort of a running command). Set before any such regex is compiled.
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const runner = await startRunner(config, process.env);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    runner.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('stratus-sandbox-runner: shutdown failed', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (config.exitOnStdinClose) {
    process.stdin.once('close', stop);
    process.stdin.resume();
  }

  // The local provider and the fake kubelet wait for this line.
  process.stdout.write(runnerReadyLine(runner.address));
}

main().catch((error: unknown) => {
  console.error(`stratus-sandbox-runner: ${error instanceof ConfigError ? error.message : String((error as Error).stack ?? error)}`);
  process.exit(1);
});
