import { EXIT } from '../errors';

/**
 * Calls `handler` on the first Ctrl-C (SIGINT); a second one exits at once with 130. Returns the
 * function that stops listening.
 */
export function onInterrupt(handler: () => void): () => void {
  let seen = false;
  const listener = () => {
    if (seen) process.exit(EXIT.interrupted);
    seen = true;
    handler();
  };
  process.on('SIGINT', listener);
  return () => process.off('SIGINT', listener);
}
