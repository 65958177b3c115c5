import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { applyMigrations, checkPostgres, CoreModule, parseServerEnv, type ServerEnv, TokensRepository, TokensService } from '@stratus/nest-common';
import { commandHelp, COMMANDS, usage } from './cli/commands';
import { CommandError, type CliIo, UsageError } from './cli/output';

export type { CliIo } from './cli/output';

@Module({})
class CliModule {
  static forRoot(env: ServerEnv): DynamicModule {
    return { module: CliModule, imports: [CoreModule.forRoot(env)] };
  }
}

const COMMON_OPTIONS = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } } as const;

/**
 * Runs one administration command; returns the exit code: 0 done, 1 the command failed (a missing
 * object), 2 bad usage. Mistakes are one line on stderr: the full usage only on --help.
 */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const words = argv.filter((arg) => !arg.startsWith('-')).slice(0, 2);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const command = COMMANDS.find((c) => c.name === words.join(' '));
  if (!command) {
    if (words.length === 0 && (wantsHelp || argv.length === 0)) {
      io.out(usage());
      return 0;
    }
    const group = COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `)).map((c) => c.name.split(' ')[1]);
    io.err(
      group.length && words.length < 2
        ? `stratus ${words[0]}: which one? ${group.join(', ')} (stratus --help)\n`
        : `stratus: unknown command "${words.join(' ')}" (stratus --help lists the commands)\n`,
    );
    return 2;
  }
  let values: Record<string, string | boolean | string[] | undefined>;
  let args: string[];
  try {
    const parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...COMMON_OPTIONS, ...command.options } });
    values = parsed.values;
    args = parsed.positionals.slice(2);
  } catch (error) {
    io.err(`stratus ${command.name}: ${(error as Error).message} (stratus ${command.name} --help)\n`);
    return 2;
  }
  if (values.help) {
    io.out(commandHelp(command));
    return 0;
  }
  if (args.length > command.arity) {
    io.err(`stratus ${command.name}: unexpected argument ${JSON.stringify(args[command.arity])} (stratus ${command.name} --help)\n`);
    return 2;
  }

  const config = parseServerEnv(env);
  await checkPostgres(config.DATABASE_URL);
  await applyMigrations(config.DATABASE_URL, (m) => io.err(`${m}\n`));
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: ['error'] });
  try {
    await command.run({ values, args, tokens: app.get(TokensService), repository: app.get(TokensRepository), io });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`stratus ${command.name}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof CommandError) {
      io.err(`stratus ${command.name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), process.env, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`stratus: ${error.message}\n`);
      process.exit(1);
    },
  );
}
