/**
 * Progress for long runs: a redrawn bar on a terminal, plain lines elsewhere (CI logs stay readable and stable).
 */
export interface Progress {
  update(label: string, done: number, total: number): void;
  /** one finished unit of work, printed as a line in both modes */
  line(text: string): void;
}

export function progress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true && process.env.CI === undefined;
  let last = 0;
  return {
    update(label, done, total) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 80 && done < total) return;
      last = now;
      const width = 30;
      const filled = Math.round((done / Math.max(total, 1)) * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}\x1b[K`);
    },
    line(text) {
      stream.write(tty ? `\r${text}\x1b[K\n` : `${text}\n`);
    },
  };
}
