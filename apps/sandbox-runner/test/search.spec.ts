import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GrepMatch } from '@stratus/sandbox-protocol';
import { startTestRunner, type TestRunner } from './runner-harness';

describe('search tools', () => {
  let runner: TestRunner;

  beforeAll(async () => {
    runner = await startTestRunner();
    const files: Record<string, string> = {
      'src/b.ts': 'export const beta = 2;\n// TODO: beta\n',
      'src/a.ts': 'export const alpha = 1;\n',
      'src/nested/c.ts': 'const TODO_LIST = [];\n',
      'README.md': '# Readme\nTodo: write docs\n',
      '.github/ci.yml': 'on: push # TODO\n',
      'node_modules/dep/index.ts': '// TODO in a dependency\n',
      '.git/HEAD': 'ref: refs/heads/main TODO\n',
      '.home/.npm/cache.ts': '// TODO in a cache\n',
    };
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(runner.workspace, file)), { recursive: true });
      await writeFile(path.join(runner.workspace, file), content);
    }
    await writeFile(path.join(runner.workspace, 'image.bin'), Buffer.from('TODO\0binary'));
    await writeFile(path.join(runner.outside, 'secret.ts'), '// TODO outside\n');
    await symlink(runner.outside, path.join(runner.workspace, 'escape'));
  });
  afterAll(() => runner.close());

  describe('POST /v1/glob', () => {
    it('returns matching files sorted and relative to the workspace, without dependency and VCS directories', async () => {
      const { body } = await runner.call('/v1/glob', { pattern: '**/*.ts' });
      expect(body).toEqual({ paths: ['src/a.ts', 'src/b.ts', 'src/nested/c.ts'], truncated: false });
    });

    it('includes dotfiles and searches a skipped directory when the pattern names it', async () => {
      expect((await runner.call('/v1/glob', { pattern: '**/*.yml' })).body.paths).toEqual(['.github/ci.yml']);
      expect((await runner.call('/v1/glob', { pattern: 'node_modules/**/*.ts' })).body.paths).toEqual(['node_modules/dep/index.ts']);
    });

    it('globs below a base path and truncates at max_results', async () => {
      expect((await runner.call('/v1/glob', { pattern: '*.ts', path: 'src' })).body.paths).toEqual(['src/a.ts', 'src/b.ts']);
      expect((await runner.call('/v1/glob', { pattern: '**/*.ts', max_results: 2 })).body).toEqual({ paths: ['src/a.ts', 'src/b.ts'], truncated: true });
    });

    it('stops at max_bytes of paths, counting a newline after each', async () => {
      expect((await runner.call('/v1/glob', { pattern: '**/*.ts', max_bytes: 18 })).body).toEqual({ paths: ['src/a.ts', 'src/b.ts'], truncated: true });
    });

    it('does not follow a symlink out of the workspace and refuses patterns or bases outside it', async () => {
      expect((await runner.call('/v1/glob', { pattern: 'escape/**' })).body.paths).toEqual([]);
      expect((await runner.call('/v1/glob', { pattern: '../**' })).status).toBe(403);
      expect((await runner.call('/v1/glob', { pattern: '/etc/*' })).status).toBe(403);
      expect((await runner.call('/v1/glob', { pattern: '*', path: '..' })).status).toBe(403);
      expect((await runner.call('/v1/glob', { pattern: '*', path: 'escape' })).status).toBe(403);
    });
  });

  describe('POST /v1/grep', () => {
    it('returns file, line number and text of each match, skipping binaries, dependencies and symlinks', async () => {
      const { body } = await runner.call('/v1/grep', { pattern: 'TODO' });
      expect(body).toEqual({
        matches: [
          { file: '.github/ci.yml', line: 1, text: 'on: push # TODO' },
          { file: 'src/b.ts', line: 2, text: '// TODO: beta' },
          { file: 'src/nested/c.ts', line: 1, text: 'const TODO_LIST = [];' },
        ],
        truncated: false,
      });
    });

    it('supports regular expressions, case-insensitivity and a file glob', async () => {
      const insensitive = await runner.call('/v1/grep', { pattern: 'todo:\\s+\\w+', case_insensitive: true });
      expect((insensitive.body.matches as GrepMatch[]).map((m) => m.file)).toEqual(['README.md', 'src/b.ts']);
      const onlyTs = await runner.call('/v1/grep', { pattern: 'const \\w+ = \\d', glob: '*.ts' });
      expect((onlyTs.body.matches as GrepMatch[]).map((m) => `${m.file}:${m.line}`)).toEqual(['src/a.ts:1', 'src/b.ts:1']);
    });

    it('searches a single file or a subdirectory and stops at max_matches', async () => {
      expect((await runner.call('/v1/grep', { pattern: 'e', path: 'src/a.ts' })).body.matches).toHaveLength(1);
      expect((await runner.call('/v1/grep', { pattern: 'TODO', path: 'src/nested' })).body.matches).toHaveLength(1);
      expect((await runner.call('/v1/grep', { pattern: '.', max_matches: 2 })).body).toMatchObject({ truncated: true, matches: [{}, {}] });
    });

    it('stops at max_bytes of matches, each counted as file:line: text and a newline', async () => {
      // ".github/ci.yml:1: on: push # TODO\n" is 34 bytes, the next match 26 more.
      expect((await runner.call('/v1/grep', { pattern: 'TODO', max_bytes: 59 })).body).toEqual({
        matches: [{ file: '.github/ci.yml', line: 1, text: 'on: push # TODO' }],
        truncated: true,
      });
      expect((await runner.call('/v1/grep', { pattern: 'TODO', max_bytes: 60 })).body.matches).toHaveLength(2);
    });

    it('answers 400 for an invalid regular expression and 403 outside the workspace', async () => {
      const invalid = await runner.call('/v1/grep', { pattern: '(unclosed' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.message).toContain('invalid regular expression');
      expect((await runner.call('/v1/grep', { pattern: 'TODO', path: 'escape' })).status).toBe(403);
      expect((await runner.call('/v1/grep', { pattern: 'TODO', path: '../outside' })).status).toBe(403);
    });
  });
});
