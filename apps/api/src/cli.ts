import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ALL_SCOPES, applyMigrations, checkPostgres, CoreModule, parseServerEnv, type Scope, type ServerEnv, TokensRepository, TokensService } from '@stratus/nest-common';

const USAGE = `usage: stratus <command>

  workspaces create --name NAME          create a workspace and print its first token (shown once)
  tokens create --workspace ID [--name NAME] [--scope read|write ...]
                                         issue a token for a workspace (shown once)
  tokens list --workspace ID             list a workspace's tokens (never their secrets)
  tokens revoke TOKEN_ID                 revoke a token (tok_…)`;

@Module({})
class CliModule {
  static forRoot(env: ServerEnv): DynamicModule {
    return { module: CliModule, imports: [CoreModule.forRoot(env)] };
  }
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

class UsageError extends Error {}

/** Runs one CLI command; returns the exit code (0 ok, 1 failure, 2 bad usage). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let values: { name?: string; workspace?: string; scope?: string[]; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: 'string' }, workspace: { type: 'string' }, scope: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const [group, command, arg] = positionals;
  if (values.help || !group) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const scopes = (values.scope ?? ALL_SCOPES) as Scope[];
  if (scopes.some((s) => !ALL_SCOPES.includes(s))) {
    io.err(`--scope must be one of ${ALL_SCOPES.join(', ')}\n\n${USAGE}\n`);
    return 2;
  }
  const config = parseServerEnv(env);
  await checkPostgres(config.DATABASE_URL);
  await applyMigrations(config.DATABASE_URL, (m) => io.err(`${m}\n`));
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: ['error'] });
  try {
    const tokens = app.get(TokensService);
    const repository = app.get(TokensRepository);
    const need = <T>(value: T | undefined, message: string): T => {
      if (value === undefined) throw new UsageError(message);
      return value;
    };
    if (group === 'workspaces' && command === 'create') {
      const workspaceId = await tokens.createWorkspace(need(values.name, '--name is required'));
      const token = await tokens.issue(workspaceId, 'default', scopes);
      io.out(`workspace ${workspaceId}\ntoken ${token.id}\n${token.secret}\n`);
      io.err('Store the token now: it is shown once and only its hash is kept.\n');
    } else if (group === 'tokens' && command === 'create') {
      const workspaceId = need(values.workspace, '--workspace is required');
      if (!(await repository.workspaceExists(workspaceId))) throw new UsageError(`no workspace ${workspaceId}`);
      const token = await tokens.issue(workspaceId, values.name ?? 'token', scopes);
      io.out(`token ${token.id}\n${token.secret}\n`);
    } else if (group === 'tokens' && command === 'list') {
      for (const t of await repository.listTokens(need(values.workspace, '--workspace is required'))) {
        io.out(`${t.id}\t${t.hint}…\t${t.name}\t${t.scopes.join(',')}\t${t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active'}\n`);
      }
    } else if (group === 'tokens' && command === 'revoke') {
      const tokenId = need(arg, 'the token id (tok_…) is required');
      if (!(await tokens.revoke(tokenId))) throw new UsageError(`no token ${tokenId}`);
      io.out(`revoked ${tokenId}\n`);
    } else {
      throw new UsageError(`unknown command: ${positionals.join(' ')}`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n\n${USAGE}\n`);
    return 2;
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
