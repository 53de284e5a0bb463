#!/usr/bin/env node
// The `sentinel-wasi` command line; the code lives in dist/ (built by `npm install`).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
