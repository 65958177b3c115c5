import { HeadTailBuffer, splitBudget } from './output-buffer';

const CHUNK = 64 * 1024;

describe('HeadTailBuffer', () => {
  it('holds the first and last bytes of 100 MiB, never much more than twice its keep, and counts it all', () => {
    const buffer = new HeadTailBuffer(128 * 1024);
    buffer.push(Buffer.from('BEGIN'));
    const filler = Buffer.alloc(CHUNK, 'a');
    for (let written = 5; written < 100 * 1024 * 1024; written += CHUNK) buffer.push(filler);
    buffer.push(Buffer.from('END'));

    expect(buffer.total).toBe(5 + 1600 * CHUNK + 3);
    expect(buffer.peakRetained).toBeLessThanOrEqual(2 * 128 * 1024 + CHUNK);
    const text = buffer.render(256 * 1024);
    expect(text.startsWith('BEGINaaa')).toBe(true);
    expect(text.endsWith('aaaEND')).toBe(true);
    expect(text).toContain(`\n[output truncated: ${buffer.total} bytes, showing the first 131072 and last 131072]\n`);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(256 * 1024 + 100);
  });

  it('gives back everything that fits, in order', () => {
    const buffer = new HeadTailBuffer(4);
    for (const part of ['ab', 'cd', 'ef', 'gh']) buffer.push(Buffer.from(part));
    expect(buffer.render(8)).toBe('abcdefgh');
    expect(buffer.render(4)).toBe('ab\n[output truncated: 8 bytes, showing the first 2 and last 2]\ngh');
  });

  it('never cuts a UTF-8 character in two', () => {
    const buffer = new HeadTailBuffer(5);
    buffer.push(Buffer.from('ééééééé')); // 14 bytes
    const text = buffer.render(7);
    expect(text).toBe('é\n[output truncated: 14 bytes, showing the first 2 and last 4]\néé');
    expect(text).not.toContain('\uFFFD');
  });
});

describe('splitBudget', () => {
  it('lets a quiet stream leave its share to the other', () => {
    expect(splitBudget(100, 10, 500)).toEqual({ stdout: 10, stderr: 90 });
    expect(splitBudget(100, 500, 0)).toEqual({ stdout: 100, stderr: 0 });
    expect(splitBudget(100, 500, 500)).toEqual({ stdout: 50, stderr: 50 });
  });
});
