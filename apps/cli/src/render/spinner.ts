const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A one-line spinner redrawn in place; callers create it only for a terminal. */
export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly label: string,
  ) {}

  get spinning(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), 80);
  }

  /** Stops and erases the spinner's line. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.write('\r\u001b[K');
  }

  private draw(): void {
    this.write(`\r${FRAMES[this.frame++ % FRAMES.length]} ${this.label}`);
  }
}
