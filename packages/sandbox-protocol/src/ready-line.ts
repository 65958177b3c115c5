const READY_PREFIX = 'stratus-sandbox-runner listening on ';

/** The line the runner prints on stdout once it accepts calls; `address` is its socket path or host:port. */
export function runnerReadyLine(address: string): string {
  return `${READY_PREFIX}${address}\n`;
}

/** Whether a line of the runner's stdout (without its newline) is its ready line. */
export function isRunnerReadyLine(line: string): boolean {
  return line.startsWith(READY_PREFIX);
}
