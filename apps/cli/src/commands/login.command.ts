import { createInterface } from 'node:readline/promises';
import { Stratus } from '@stratus/sdk';
import type { Command } from 'commander';
import { readConfig, writeConfig } from '../config/config-store';
import { DEFAULT_BASE_URL, type ConnectionOptions } from '../config/connection';
import type { CliContext } from '../context';
import { UsageError } from '../errors';

/** Asks what the flags did not give, in a terminal only. */
async function ask(ctx: CliContext, given: ConnectionOptions, defaultBaseUrl: string): Promise<{ baseUrl: string; token: string }> {
  if (given.baseUrl && given.token) return { baseUrl: given.baseUrl, token: given.token };
  if (!ctx.io.stdin.isTTY) throw new UsageError('login asks for the base URL and the token in a terminal; elsewhere pass --base-url and --token.');
  const prompt = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    const baseUrl = given.baseUrl ?? ((await prompt.question(`Server URL [${defaultBaseUrl}]: `)).trim() || defaultBaseUrl);
    const token = given.token ?? (await prompt.question('Token (pt-…): ')).trim();
    return { baseUrl, token };
  } finally {
    prompt.close();
  }
}

/** `stratus login`: checks the token against the server, then stores both in the user's config dir (0600). */
export function registerLoginCommand(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .description('store the server URL and a token (checked first) in $XDG_CONFIG_HOME/stratus/config.json, readable by you only')
    .action(async (_flags: unknown, command: Command) => {
      const given = command.optsWithGlobals<ConnectionOptions>();
      const stored: { baseUrl?: string } = await readConfig(ctx.io.env).catch(() => ({}));
      const { baseUrl, token } = await ask(ctx, given, ctx.io.env.STRATUS_BASE_URL || stored.baseUrl || DEFAULT_BASE_URL);
      if (!/^https?:\/\//.test(baseUrl)) throw new UsageError(`The server URL must start with http:// or https:// (got "${baseUrl}").`);
      if (!token) throw new UsageError('A token is needed (pt-…).');
      // A token the server refuses is not stored.
      await new Stratus({ baseURL: baseUrl, token }).models.list();
      const file = await writeConfig(ctx.io.env, { baseUrl, token });
      ctx.out(`Logged in to ${baseUrl}; saved in ${file}\n`);
    });
}
