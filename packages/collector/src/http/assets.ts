// Owns the static assets the live page loads from the collector itself: uPlot's browser build and
// its stylesheet, resolved in node_modules (the `uplot` dependency) and read once at start-up —
// no build step at run time, no request leaving the machine. Missing files leave the page without
// charts (its table still works) and are reported by `assetsProblem`.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const ASSET_PREFIX = '/assets/';

export interface Asset {
  contentType: string;
  body: Buffer;
}

/** Served path → the file in the uplot package's dist/. */
const UPLOT_FILES: Record<string, [file: string, contentType: string]> = {
  '/assets/uplot.min.js': ['uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  '/assets/uplot.min.css': ['uPlot.min.css', 'text/css; charset=utf-8'],
};

export interface LoadedAssets {
  get(path: string): Asset | undefined;
  /** Why the assets could not be loaded (E_ASSETS …), or undefined when they were. */
  assetsProblem: string | undefined;
}

export function loadAssets(): LoadedAssets {
  const map = new Map<string, Asset>();
  let problem: string | undefined;
  try {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('uplot'));
    for (const [path, [file, contentType]] of Object.entries(UPLOT_FILES)) {
      map.set(path, { contentType, body: readFileSync(join(dist, file)) });
    }
  } catch (err) {
    problem = `uplot's dist files could not be read: ${(err as Error).message} (E_ASSETS)`;
    map.clear();
  }
  return { get: (path) => map.get(path), assetsProblem: problem };
}
