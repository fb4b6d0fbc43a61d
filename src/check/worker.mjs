// A worker thread of the pool (pool.ts): registers tsx's loader, as bin/ioasid-lab.mjs does (the package has no
// build step, and a worker cannot count on the loader of the thread that started it: under vitest that one is
// vite's), then answers each unit with work.ts's runUnit, the function the main thread calls for --workers 1.
import { register } from 'tsx/esm/api';

register();
const { runUnit } = await import('./work.ts');

export default runUnit;
