import { APIConnectionError, APIError } from '@stratus/sdk';
import { Command, CommanderError } from 'commander';
import { registerLoginCommand } from './commands/login.command';
import { registerResourceCommands } from './commands/resource.commands';
import { registerRunCommand } from './commands/run.command';
import { registerTailCommand } from './commands/tail.command';
import { CliContext, type CliIo } from './context';
import { EXIT, UsageError } from './errors';

function buildProgram(ctx: CliContext): Command {
  const program = new Command('stratus')
    .description('The Stratus command line: agents, environments, sessions, and turns streamed live.')
    .option('--base-url <url>', "the server's origin, e.g. http://localhost:8080 (default: STRATUS_BASE_URL, then `stratus login`)")
    .option('--token <token>', 'a personal access token (default: STRATUS_TOKEN, then `stratus login`)')
    .addHelpText('after', '\nExit codes: 0 done (a turn ended with end_turn), 1 error, 2 usage, 130 interrupted.\nWorkspaces and tokens: ./stratus workspaces|tokens --help (needs the server\'s database).')
    // Commander's own exits (help, unknown options) come back here as errors, so the code is ours.
    .exitOverride()
    .configureOutput({ writeOut: (text) => ctx.out(text), writeErr: (text) => ctx.err(text) })
    .showHelpAfterError('(stratus --help for usage)');
  registerLoginCommand(program, ctx);
  registerResourceCommands(program, ctx);
  registerRunCommand(program, ctx);
  registerTailCommand(program, ctx);
  return program;
}

/** Says what went wrong in one line and picks the exit code. */
function report(ctx: CliContext, error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and --version exit 0; anything else Commander refused is a usage error, already printed.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof UsageError) {
    ctx.err(`stratus: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof APIError) {
    const details = [error.param ? `param ${error.param}` : '', error.requestId ? `request ${error.requestId}` : ''].filter(Boolean).join(', ');
    ctx.err(ctx.style.red(`error: ${error.message}`) + (details ? ` (${details})` : '') + '\n');
    return EXIT.error;
  }
  if (error instanceof APIConnectionError) {
    ctx.err(ctx.style.red(`error: ${error.message}`) + '\n');
    return EXIT.error;
  }
  ctx.err(ctx.style.red(`error: ${error instanceof Error ? error.message : String(error)}`) + '\n');
  return EXIT.error;
}

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const ctx = new CliContext(io);
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    ctx.out(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    return report(ctx, error);
  }
}
