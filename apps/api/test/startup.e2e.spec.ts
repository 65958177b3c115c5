import { checkPostgres, checkRedis, parseServerEnv } from '@stratus/nest-common';

describe('start-up checks', () => {
  it('names the bad variable when the environment is invalid', () => {
    expect(() => parseServerEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => parseServerEnv({ STRATUS_BOOTSTRAP_TOKEN: 'secret' })).toThrow(/STRATUS_BOOTSTRAP_TOKEN/);
    expect(() => parseServerEnv({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    expect(() => parseServerEnv({ NODE_ENV: 'production' })).toThrow(/STRATUS_ENCRYPTION_KEY/);
    expect(parseServerEnv({}).PORT).toBe(8080);
  });

  it('says which PostgreSQL URL is unreachable and how to start it', async () => {
    await expect(checkPostgres('postgresql://postgres:hunter2@127.0.0.1:1/stratus')).rejects.toThrow(/PostgreSQL is not reachable at postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/stratus[\s\S]*Start PostgreSQL/);
  });

  it('says which Redis URL is unreachable and how to start it', async () => {
    await expect(checkRedis('redis://127.0.0.1:1')).rejects.toThrow(/Redis is not reachable at redis:\/\/127\.0\.0\.1:1[\s\S]*Start Redis/);
  });
});
