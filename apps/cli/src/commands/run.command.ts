import type { Stratus } from '@stratus/sdk';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { EXIT, UsageError } from '../errors';
import { TurnRenderer } from '../render/turn-renderer';
import { onInterrupt } from './interrupt';

interface RunFlags {
  agent?: string;
  env?: string;
  session?: string;
  title?: string;
}

/** The environment `run` uses without --env: the newest one, or a new "default" when there is none. */
async function defaultEnvironment(client: Stratus): Promise<string> {
  const newest = (await client.environments.list({ limit: 1 })).data[0];
  if (newest) return newest.id;
  return (await client.environments.create({ name: 'default' })).id;
}

/** The terminal's width; a pseudo-terminal may report 0, then COLUMNS or 100 is used. */
function terminalWidth(ctx: CliContext): number {
  const width = ctx.io.stdout.columns || Number(ctx.io.env.COLUMNS) || 100;
  return Math.max(40, width);
}

export function rendererFor(ctx: CliContext, showUserMessages: boolean): TurnRenderer {
  const tty = ctx.io.stdout.isTTY === true;
  return new TurnRenderer({
    write: (text) => ctx.out(text),
    style: ctx.style,
    spinner: tty,
    columns: tty ? terminalWidth(ctx) : 200,
    showUserMessages,
  });
}

/**
 * `stratus run --agent <id> [--env <id>] "prompt"`: creates a session, sends the message and draws
 * the turn live. Exit code 0 when the turn ends with end_turn, 1 for any other end, 130 after Ctrl-C
 * (which cancels the turn first).
 */
export function registerRunCommand(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('start a session, send a message and show the turn live (Ctrl-C cancels the turn)')
    .argument('<prompt...>', 'the message')
    .option('--agent <id>', 'the agent (its latest version)')
    .option('--env <id>', 'the environment (default: the newest one, or a new "default")')
    .option('--session <id>', 'continue this session instead of starting one')
    .option('--title <title>', "the new session's title")
    .action(async (words: string[], flags: RunFlags, command: Command) => {
      const prompt = words.join(' ');
      if (!flags.session && !flags.agent) throw new UsageError('run needs --agent <id> (or --session <id> to continue one).');
      const client = await ctx.client(command);
      const sessionId =
        flags.session ??
        (
          await client.sessions.create({
            agent: flags.agent!,
            environment_id: flags.env ?? (await defaultEnvironment(client)),
            title: flags.title ?? prompt.slice(0, 80),
          })
        ).id;
      ctx.err(ctx.style.dim(`session ${sessionId}\n`));

      const renderer = rendererFor(ctx, false);
      const controller = new AbortController();
      let interrupted = false;
      const stopListening = onInterrupt(() => {
        interrupted = true;
        renderer.finish();
        ctx.err(ctx.style.yellow('interrupted: cancelling the turn…\n'));
        // The turn is cancelled on the server before the process leaves.
        client.sessions
          .cancel(sessionId)
          .catch((error: Error) => ctx.err(`could not cancel: ${error.message}\n`))
          .finally(() => controller.abort());
      });
      try {
        renderer.startTurn();
        const result = await client.sessions.run(sessionId, prompt, { eventDeltas: ['agent.message'], onEvent: (event) => renderer.render(event), signal: controller.signal });
        ctx.exitCode = result.stop_reason.type === 'end_turn' ? EXIT.ok : EXIT.error;
      } catch (error) {
        if (!interrupted) throw error;
        ctx.exitCode = EXIT.interrupted;
      } finally {
        stopListening();
        renderer.finish();
      }
    });
}
