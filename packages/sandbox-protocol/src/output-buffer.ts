/**
 * What a command wrote to one stream, held in bounded memory: the first `keep` bytes, the last `keep`
 * bytes (give or take one chunk) and the count of everything. A command that prints 100 MiB costs
 * 2 × `keep`, and the model still sees how its output ended, which is usually where the error is.
 */
export class HeadTailBuffer {
  private readonly head: Buffer[] = [];
  private headSize = 0;
  private readonly tail: Buffer[] = [];
  private tailSize = 0;
  /** Whether bytes between the head and the tail were let go. */
  private dropped = false;
  /** Every byte the stream produced. */
  total = 0;
  /** The most this buffer ever held at once. */
  peakRetained = 0;

  constructor(private readonly keep: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headSize < this.keep) {
      const take = Math.min(this.keep - this.headSize, chunk.length);
      // A copy: a view would pin the whole chunk it was cut from.
      this.head.push(Buffer.from(chunk.subarray(0, take)));
      this.headSize += take;
      chunk = chunk.subarray(take);
    }
    if (chunk.length > 0) {
      this.tail.push(chunk);
      this.tailSize += chunk.length;
      while (this.tail.length > 1 && this.tailSize - this.tail[0]!.length >= this.keep) {
        this.tailSize -= this.tail.shift()!.length;
        this.dropped = true;
      }
    }
    this.peakRetained = Math.max(this.peakRetained, this.headSize + this.tailSize);
  }

  /**
   * The stream as text in at most `allowance` bytes (at most 2 × `keep`) plus a note: all of it when
   * it fits, else its beginning and its end cut at character boundaries, with a line in between
   * saying what was left out.
   */
  render(allowance: number): string {
    if (this.total <= allowance) return Buffer.concat([...this.head, ...this.tail]).toString('utf8');
    const whole = this.dropped ? undefined : Buffer.concat([...this.head, ...this.tail]);
    const headBytes = whole ?? Buffer.concat(this.head);
    const tailBytes = whole ?? Buffer.concat(this.tail);
    const first = headBytes.subarray(0, charBoundaryAtOrBefore(headBytes, Math.floor(allowance / 2)));
    const wanted = Math.min(allowance - Math.floor(allowance / 2), tailBytes.length);
    const last = tailBytes.subarray(charBoundaryAtOrAfter(tailBytes, tailBytes.length - wanted));
    const note = `[output truncated: ${this.total} bytes, showing the first ${first.length} and last ${last.length}]`;
    return `${first.toString('utf8')}\n${note}\n${last.toString('utf8')}`;
  }
}

/** UTF-8 continuation bytes are 10xxxxxx; a cut before one would split a character. */
const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

function charBoundaryAtOrBefore(bytes: Buffer, index: number): number {
  let at = Math.min(index, bytes.length);
  while (at > 0 && isContinuation(bytes[at])) at--;
  return at;
}

function charBoundaryAtOrAfter(bytes: Buffer, index: number): number {
  let at = Math.max(index, 0);
  while (at < bytes.length && isContinuation(bytes[at])) at++;
  return at;
}

/**
 * How many bytes each of stdout and stderr may show when together they may show `budget`: a stream
 * that needs less than half leaves the rest to the other.
 */
export function splitBudget(budget: number, stdoutTotal: number, stderrTotal: number): { stdout: number; stderr: number } {
  const half = Math.floor(budget / 2);
  if (stdoutTotal <= half) return { stdout: stdoutTotal, stderr: budget - stdoutTotal };
  if (stderrTotal <= half) return { stdout: budget - stderrTotal, stderr: stderrTotal };
  return { stdout: budget - half, stderr: half };
}
