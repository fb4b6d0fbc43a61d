// The library's types: those of src/api.ts, which lib/index.mjs exports at run time.
export * from '../src/api.js';
