import type { Command } from 'commander';
import { clientFor, resolveConnection, type ConnectionOptions } from './config/connection';
import { colorsWanted, createStyle, type Style } from './render/style';
import type { Stratus } from '@stratus/sdk';

/** Where a command reads and writes, so that tests and the real process differ only here. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** What every command gets: its I/O, styling for stdout, and the client built from the global options. */
export class CliContext {
  readonly style: Style;
  /** The exit code the process ends with once the command returns. */
  exitCode = 0;

  constructor(readonly io: CliIo) {
    this.style = createStyle(colorsWanted(io.stdout, io.env));
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  async client(command: Command): Promise<Stratus> {
    return clientFor(await resolveConnection(command.optsWithGlobals<ConnectionOptions>(), this.io.env));
  }
}
