import type { Logger } from 'pino';

/**
 * The last line of defence of a server process against errors nobody handled.
 *
 * An unhandled rejection is logged and the process goes on. It is a promise nobody awaited that failed
 * (a query during a PostgreSQL outage, a Redis call during a restart): it concerns one request or one
 * turn, each of which has its own recovery (a client's retry, the job's retries, the turn recovery
 * sweep), while exiting would end every other stream and turn of the process with it.
 *
 * An uncaught exception is logged and the process exits with code 1, deliberately: it was thrown from
 * a callback or an emitter without an error listener, somewhere in the middle of changing state that
 * is now half-changed, and Node does not guarantee it can resume safely. The orchestrator restarts the
 * process; its turns are resumed by other workers from the event log, its clients reconnect.
 */
export function installProcessGuards(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: describe(reason) }, 'unhandled promise rejection (the process goes on)');
  });
  process.on('uncaughtException', (error, origin) => {
    logger.fatal({ err: describe(error), origin }, 'uncaught exception: exiting');
    process.exit(1);
  });
}

function describe(reason: unknown): string {
  return reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
}
