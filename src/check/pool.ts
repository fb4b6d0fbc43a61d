/**
 * Worker threads for `check` and `explore`: a tinypool pool (written for vitest and maintained with it; no
 * dependencies, no native code) whose workers run units (work.ts) through worker.mjs, and the one order units are
 * handed out in (inOrder). The pool lives for one command: withPool destroys it when the command ends, failed or
 * not, so no thread keeps the process alive. A unit that throws in a worker, or a worker that dies, fails the
 * command with a WorkerError of one line, never a hang.
 */
import Tinypool from 'tinypool';
import { unitName, type ResultOf, type Unit } from './work.js';

/** ioasid-lab itself failed in a worker thread (a bug, like an exception in the main thread): one line. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

export class WorkPool {
  private readonly pool: Tinypool;
  /** rejects when a worker fails outside any task (at start-up): the pool then starts no task, so waiting would hang */
  private readonly broken: Promise<never>;

  constructor(readonly size: number) {
    this.pool = new Tinypool({ filename: new URL('./worker.mjs', import.meta.url).href, minThreads: size, maxThreads: size });
    this.broken = new Promise((_, reject) => this.pool.on('error', (e: unknown) => reject(new WorkerError(`a worker thread failed: ${firstLine(e)}`))));
    this.broken.catch(() => {}); // observed by every run(); with none in flight, the next one reports it
  }

  /** Run one unit on a worker thread; its answer as runUnit gives it here. */
  async run<U extends Unit>(u: U): Promise<ResultOf<U>> {
    try {
      const r: unknown = await Promise.race([this.pool.run(u), this.broken]);
      return r as ResultOf<U>; // the worker answers with runUnit(u), structured-cloned
    } catch (e) {
      throw e instanceof WorkerError ? e : new WorkerError(`${unitName(u)} failed in a worker thread: ${firstLine(e)}`);
    }
  }

  /** End every thread (a unit still running is stopped; its run() rejects). */
  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/** Run `f` with a pool of `size` threads, destroyed when `f` ends, whether it succeeded or failed. */
export async function withPool<T>(size: number, f: (pool: WorkPool) => Promise<T>): Promise<T> {
  const pool = new WorkPool(size);
  try {
    return await f(pool);
  } finally {
    await pool.close();
  }
}

/**
 * Run `items` on the pool in their order, at most `pool.size` at a time. `start(item)` is asked when the item's
 * turn comes, and gives its unit, or null when the item is no longer wanted (a check cell whose earlier chunk
 * failed wants no later one); `done` gets each answer as it arrives (completion order). On the first failure
 * nothing more starts and the promise rejects at once (withPool then stops what is still running).
 */
export async function inOrder<T, U extends Unit>(pool: WorkPool, items: readonly T[], start: (item: T) => U | null, done: (item: T, r: ResultOf<U>) => void): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const item = items[next++]!; // next < length
      const u = start(item);
      if (u === null) continue;
      try {
        done(item, await pool.run(u));
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: pool.size }, lane));
}
