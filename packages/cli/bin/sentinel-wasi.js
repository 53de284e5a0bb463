#!/usr/bin/env node
// The `sentinel-wasi` command line; the code lives in dist/ (built by `npm install`).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
// Every command has finished its work when main resolves; the process then ends when nothing is
// left pending. Should something still be (a leaked handle), say what and end anyway, so that a
// stopped daemon never lingers.
const EXIT_GRACE_MS = 5000;
setTimeout(() => {
  process.stderr.write(`sentinel-wasi: still running ${EXIT_GRACE_MS} ms after the command ended (E_EXIT_PENDING: ${process.getActiveResourcesInfo().join(', ')}); exiting\n`);
  process.exit();
}, EXIT_GRACE_MS).unref();
