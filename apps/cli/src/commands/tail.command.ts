import type { Command } from 'commander';
import type { CliContext } from '../context';
import { EXIT } from '../errors';
import { rendererFor } from './run.command';
import { onInterrupt } from './interrupt';

/**
 * `stratus tail <session>`: the session's history (or what follows --last-event-id), then its live
 * events, reconnecting with Last-Event-ID when the connection drops, until the session is deleted
 * (exit 0) or Ctrl-C (exit 130).
 */
export function registerTailCommand(program: Command, ctx: CliContext): void {
  program
    .command('tail')
    .description("follow a session's events live; resumes after a dropped connection without repeating any")
    .argument('<session>', 'the session id')
    .option('--last-event-id <id>', 'start after this event instead of from the beginning')
    .action(async (sessionId: string, flags: { lastEventId?: string }, command: Command) => {
      const client = await ctx.client(command);
      const renderer = rendererFor(ctx, true);
      const controller = new AbortController();
      let interrupted = false;
      const stopListening = onInterrupt(() => {
        interrupted = true;
        controller.abort();
      });
      try {
        const stream = client.sessions.events.stream(sessionId, {
          lastEventId: flags.lastEventId,
          eventDeltas: ['agent.message'],
          signal: controller.signal,
          onReconnect: (info) => ctx.err(ctx.style.dim(`connection lost; resuming after ${info.lastEventId ?? 'the start'}…\n`)),
        });
        for await (const event of stream) renderer.render(event);
        ctx.exitCode = interrupted ? EXIT.interrupted : EXIT.ok;
      } finally {
        stopListening();
        renderer.finish();
      }
    });
}
