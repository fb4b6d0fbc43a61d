#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so the package needs no build step.
import { register } from 'tsx/esm/api';
register();
const { cli } = await import('../src/cli/main.ts');
process.exitCode = await cli(process.argv.slice(2), (s) => console.log(s), (s) => console.error(s));
