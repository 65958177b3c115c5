import { capText, execOutcome, readOutcome } from './tool-output';

const exec = { exit_code: 0, stdout: '', stderr: '', timed_out: false, truncated: false, duration_ms: 5, stdout_bytes: 0, stderr_bytes: 0 };
const read = { path: 'a.txt', content: '', start_line: 1, num_lines: 0, total_lines: 0, cut_lines: 0 };

describe('execOutcome', () => {
  it('shows stdout, then stderr and the exit code of a failing command', () => {
    expect(execOutcome({ ...exec, stdout: 'hi\n' })).toEqual({ text: 'hi', isError: false });
    expect(execOutcome({ ...exec, stdout: 'a\n', stderr: 'boom\n', exit_code: 2 })).toEqual({ text: 'a\n[stderr]\nboom\n[exit code 2]', isError: true });
    expect(execOutcome(exec)).toEqual({ text: '(no output)', isError: false });
  });

  it('says when the command was killed for its timeout', () => {
    expect(execOutcome({ ...exec, exit_code: 137, timed_out: true, duration_ms: 1000 }).text).toBe('[timed out after 1000 ms; the command was killed]');
  });
});

describe('readOutcome', () => {
  it('numbers lines and says where to read on', () => {
    expect(readOutcome({ ...read, content: 'one\ntwo\n', start_line: 3, num_lines: 2, total_lines: 10 }, 65_536).text).toBe(
      '     3\tone\n     4\ttwo\n[lines 3-4 of 10; read on with offset 5]',
    );
    expect(readOutcome(read, 65_536).text).toBe('(empty file)');
    expect(readOutcome({ ...read, start_line: 20, total_lines: 10 }, 65_536).text).toBe('[the file has 10 lines; offset 20 is past its end]');
  });

  it('stops at the last numbered line that fits in the cap, and reads on from the next', () => {
    const content = Array.from({ length: 2000 }, () => 'x'.repeat(100)).join('\n');
    const { text } = readOutcome({ ...read, content, num_lines: 2000, total_lines: 5000 }, 20_000);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(20_000);
    // 108 bytes a numbered line with its newline, 18 976 bytes of room for them.
    expect(text.endsWith('\n[lines 1-175 of 5000; read on with offset 176]')).toBe(true);
  });

  it('says when long lines were cut', () => {
    expect(readOutcome({ ...read, content: 'a', num_lines: 1, total_lines: 1, cut_lines: 1 }, 65_536).text).toBe(
      '     1\ta\n[1 line was longer than 2000 characters and cut; use Bash to see it whole]',
    );
  });
});

describe('capText', () => {
  it('leaves text within the cap alone', () => {
    expect(capText('short', 5)).toBe('short');
  });

  it('keeps the beginning and the end within the cap, with a note saying what was cut', () => {
    const text = `BEGIN${'a'.repeat(1_000_000)}END`;
    const capped = capText(text, 1000);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(1000);
    expect(capped).toMatch(/^BEGINa+\n\[output truncated: 1000008 bytes, showing the first \d+ and last \d+\]\na+END$/);
  });

  it('never splits a character', () => {
    const capped = capText('é'.repeat(1000), 200);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(200);
    expect(capped).not.toContain('\uFFFD');
  });
});
