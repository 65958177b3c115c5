import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestRunner, type TestRunner } from './runner-harness';

describe('file tools', () => {
  let runner: TestRunner;

  beforeEach(async () => {
    runner = await startTestRunner();
  });
  afterEach(() => runner.close());

  describe('POST /v1/write and /v1/read', () => {
    it('creates parent directories and reads the file back', async () => {
      const written = await runner.call('/v1/write', { path: 'src/deep/a.txt', content: 'one\ntwo\nthree\n' });
      expect(written.body).toEqual({ path: 'src/deep/a.txt', bytes_written: 14 });
      expect(await readFile(path.join(runner.workspace, 'src/deep/a.txt'), 'utf8')).toBe('one\ntwo\nthree\n');
      const { body } = await runner.call('/v1/read', { path: 'src/deep/a.txt' });
      expect(body).toEqual({ path: 'src/deep/a.txt', content: 'one\ntwo\nthree', start_line: 1, num_lines: 3, total_lines: 3, cut_lines: 0 });
    });

    it('reads a window of lines with offset (1-based) and limit', async () => {
      await runner.call('/v1/write', { path: 'n.txt', content: Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') });
      const { body } = await runner.call('/v1/read', { path: 'n.txt', offset: 4, limit: 2 });
      expect(body).toMatchObject({ content: 'line 4\nline 5', start_line: 4, num_lines: 2, total_lines: 10 });
    });

    it('pages through a long file: 2000 lines by default, the next page from the offset, every line counted', async () => {
      await writeFile(path.join(runner.workspace, 'long.txt'), Array.from({ length: 300_000 }, (_, i) => `line ${i + 1}\r\n`).join(''));
      const first = (await runner.call('/v1/read', { path: 'long.txt' })).body;
      expect(first).toMatchObject({ start_line: 1, num_lines: 2000, total_lines: 300_000, cut_lines: 0 });
      expect(first.content.split('\n').at(-1)).toBe('line 2000');
      const next = (await runner.call('/v1/read', { path: 'long.txt', offset: 2001 })).body;
      expect(next).toMatchObject({ start_line: 2001, num_lines: 2000, total_lines: 300_000 });
      expect(next.content.split('\n')[0]).toBe('line 2001');
    });

    it('ends a page at the last whole line that fits in max_bytes (256 KiB by default)', async () => {
      await writeFile(path.join(runner.workspace, 'wide.txt'), `${'x'.repeat(1000)}\n`.repeat(2000));
      const { body } = await runner.call('/v1/read', { path: 'wide.txt' });
      // 1000 bytes for the first line, 1001 with its newline for each next one.
      expect(body).toMatchObject({ num_lines: 261, total_lines: 2000 });
      expect(Buffer.byteLength(body.content)).toBeLessThanOrEqual(256 * 1024);
      expect((await runner.call('/v1/read', { path: 'wide.txt', max_bytes: 3000 })).body).toMatchObject({ num_lines: 2 });
    });

    it('pages a file larger than 64 MiB, cutting a line longer than 2000 characters', async () => {
      const huge = path.join(runner.workspace, 'huge.txt');
      await writeFile(huge, 'y'.repeat(70 * 1024 * 1024));
      await writeFile(huge, '\nsecond line\n', { flag: 'a' });
      const { status, body } = await runner.call('/v1/read', { path: 'huge.txt' });
      expect(status).toBe(200);
      expect(body).toMatchObject({ content: `${'y'.repeat(2000)}\nsecond line`, num_lines: 2, total_lines: 2, cut_lines: 1 });
    });

    it('accepts an absolute path inside the workspace', async () => {
      await writeFile(path.join(runner.workspace, 'abs.txt'), 'x');
      expect((await runner.call('/v1/read', { path: path.join(runner.workspace, 'abs.txt') })).body.content).toBe('x');
    });

    it('answers 404 for a missing file and 400 for a directory or a binary file', async () => {
      expect((await runner.call('/v1/read', { path: 'missing.txt' })).status).toBe(404);
      await mkdir(path.join(runner.workspace, 'dir'));
      expect((await runner.call('/v1/read', { path: 'dir' })).status).toBe(400);
      await writeFile(path.join(runner.workspace, 'bin'), Buffer.from([0x7f, 0x45, 0x00, 0x01]));
      expect((await runner.call('/v1/read', { path: 'bin' })).body.error.message).toContain('binary');
    });
  });

  describe('POST /v1/edit', () => {
    beforeEach(async () => {
      await writeFile(path.join(runner.workspace, 'e.ts'), 'const a = 1;\nconst b = 1;\nconst c = 2;\n');
    });
    const content = () => readFile(path.join(runner.workspace, 'e.ts'), 'utf8');

    it('replaces a unique string exactly, with no special meaning for $', async () => {
      const { status, body } = await runner.call('/v1/edit', { path: 'e.ts', old_string: 'c = 2', new_string: "c = '$&'" });
      expect(status).toBe(200);
      expect(body).toEqual({ path: 'e.ts', replacements: 1 });
      expect(await content()).toBe("const a = 1;\nconst b = 1;\nconst c = '$&';\n");
    });

    it('refuses an old_string that is not unique, and changes nothing', async () => {
      const { status, body } = await runner.call('/v1/edit', { path: 'e.ts', old_string: '= 1', new_string: '= 3' });
      expect(status).toBe(400);
      expect(body.error.message).toContain('occurs 2 times');
      expect(await content()).toBe('const a = 1;\nconst b = 1;\nconst c = 2;\n');
    });

    it('replaces every occurrence with replace_all', async () => {
      const { body } = await runner.call('/v1/edit', { path: 'e.ts', old_string: '= 1', new_string: '= 3', replace_all: true });
      expect(body.replacements).toBe(2);
      expect(await content()).toBe('const a = 3;\nconst b = 3;\nconst c = 2;\n');
    });

    it('answers 400 when old_string is missing and 404 when the file is', async () => {
      const missing = await runner.call('/v1/edit', { path: 'e.ts', old_string: 'nope', new_string: 'x' });
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toContain('not found');
      expect((await runner.call('/v1/edit', { path: 'none.ts', old_string: 'a', new_string: 'b' })).status).toBe(404);
    });
  });

  describe('paths outside the workspace', () => {
    let secret: string;
    beforeEach(async () => {
      secret = path.join(runner.outside, 'secret.txt');
      await writeFile(secret, 'top secret');
    });

    const expectRefused = (answer: { status: number; body: any }) => {
      expect(answer.status).toBe(403);
      expect(answer.body.error).toEqual({ type: 'permission_error', message: expect.stringContaining('path outside the workspace') });
    };

    it('refuses ../ and absolute paths for every file tool', async () => {
      for (const target of ['../outside/secret.txt', secret, '/etc/passwd', 'a/../../outside/secret.txt']) {
        expectRefused(await runner.call('/v1/read', { path: target }));
        expectRefused(await runner.call('/v1/write', { path: target, content: 'pwned' }));
        expectRefused(await runner.call('/v1/edit', { path: target, old_string: 'top', new_string: 'pwned' }));
      }
      expect(await readFile(secret, 'utf8')).toBe('top secret');
    });

    it('refuses symlinks that point outside, for reads and writes', async () => {
      await symlink(secret, path.join(runner.workspace, 'link.txt'));
      await symlink(runner.outside, path.join(runner.workspace, 'linkdir'));
      expectRefused(await runner.call('/v1/read', { path: 'link.txt' }));
      expectRefused(await runner.call('/v1/write', { path: 'link.txt', content: 'pwned' }));
      expectRefused(await runner.call('/v1/read', { path: 'linkdir/secret.txt' }));
      expectRefused(await runner.call('/v1/write', { path: 'linkdir/new.txt', content: 'pwned' }));
      expect(await readFile(secret, 'utf8')).toBe('top secret');
    });

    it('refuses a dangling symlink whose target would be created outside', async () => {
      await symlink(path.join(runner.outside, 'created.txt'), path.join(runner.workspace, 'dangling'));
      expectRefused(await runner.call('/v1/write', { path: 'dangling', content: 'pwned' }));
      await expect(readFile(path.join(runner.outside, 'created.txt'))).rejects.toThrow('ENOENT');
    });

    it('allows symlinks that stay inside the workspace', async () => {
      await writeFile(path.join(runner.workspace, 'real.txt'), 'inside');
      await symlink(path.join(runner.workspace, 'real.txt'), path.join(runner.workspace, 'alias.txt'));
      expect((await runner.call('/v1/read', { path: 'alias.txt' })).body).toMatchObject({ path: 'real.txt', content: 'inside' });
    });
  });
});
