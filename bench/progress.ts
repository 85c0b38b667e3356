// Progress lines on stderr for long loops, at most one a second, so a person watching a
// run knows it moves and a log file stays short.
export class Progress {
  private last = 0;
  constructor(private readonly quiet: boolean) {}

  line(text: string): void {
    if (!this.quiet) process.stderr.write(`${text}\n`);
  }

  /** Prints `text()` if a second has passed since the last tick. */
  tick(text: () => string): void {
    const now = performance.now();
    if (now - this.last < 1_000) return;
    this.last = now;
    this.line(`  … ${text()}`);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
