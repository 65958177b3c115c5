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

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, workspace: { type: 'string' }, scope: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
  });
  const [group, command, arg] = positionals;
  if (values.help || !group) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const env = parseServerEnv(process.env);
  await checkPostgres(env.DATABASE_URL);
  await applyMigrations(env.DATABASE_URL, (m) => process.stderr.write(`${m}\n`));
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(env), { logger: ['error'] });
  try {
    const tokens = app.get(TokensService);
    const repository = app.get(TokensRepository);
    const scopes = (values.scope ?? ALL_SCOPES) as Scope[];
    if (scopes.some((s) => !ALL_SCOPES.includes(s))) fail(`--scope must be one of ${ALL_SCOPES.join(', ')}`);

    if (group === 'workspaces' && command === 'create') {
      if (!values.name) fail('--name is required');
      const workspaceId = await tokens.createWorkspace(values.name);
      const token = await tokens.issue(workspaceId, 'default', scopes);
      process.stdout.write(`workspace ${workspaceId}\ntoken ${token.id}\n${token.secret}\n`);
      process.stderr.write('Store the token now: it is shown once and only its hash is kept.\n');
    } else if (group === 'tokens' && command === 'create') {
      if (!values.workspace) fail('--workspace is required');
      if (!(await repository.workspaceExists(values.workspace))) fail(`no workspace ${values.workspace}`);
      const token = await tokens.issue(values.workspace, values.name ?? 'token', scopes);
      process.stdout.write(`token ${token.id}\n${token.secret}\n`);
    } else if (group === 'tokens' && command === 'list') {
      if (!values.workspace) fail('--workspace is required');
      for (const t of await repository.listTokens(values.workspace)) {
        process.stdout.write(`${t.id}\t${t.hint}…\t${t.name}\t${t.scopes.join(',')}\t${t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active'}\n`);
      }
    } else if (group === 'tokens' && command === 'revoke') {
      if (!arg) fail('the token id (tok_…) is required');
      if (!(await tokens.revoke(arg))) fail(`no token ${arg}`);
      process.stdout.write(`revoked ${arg}\n`);
    } else {
      fail(`unknown command: ${positionals.join(' ')}`);
    }
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`stratus: ${error.message}\n`);
  process.exit(1);
});
