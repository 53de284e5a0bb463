// Owns a work-around loaded (node --import) into the jco child process that builds a component:
// jco 1.35's componentize reads the WIT through a transpiled wasm-tools running on
// @bytecodealliance/preview2-shim's global filesystem, and preview2-shim 0.26.1 stopped preopening
// the host's `/` there ("failed to get path metadata"). A project that installs the packages gets
// 0.26.1 unless it pins 0.26.0 itself, so before jco starts this adds the `/` preopen to every copy
// of the shim jco and jco-transpile load (where it is missing).

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

interface ShimFilesystem {
  _addPreopen(virtualPath: string, hostPath: string): void;
  _getPreopens(): Array<[unknown, string]>;
}

const require = createRequire(import.meta.url);

/** The preview2-shim filesystem modules that jco and jco-transpile import (deduplicated). */
export function shimFilesystemPaths(): string[] {
  const paths = new Set<string>();
  const jco = require.resolve('@bytecodealliance/jco');
  const bases = [jco];
  try {
    bases.push(createRequire(jco).resolve('@bytecodealliance/jco-transpile'));
  } catch {
    // an older jco without the separate transpile package
  }
  for (const base of bases) {
    try {
      paths.add(createRequire(base).resolve('@bytecodealliance/preview2-shim/filesystem'));
    } catch {
      // this one has no shim of its own
    }
  }
  return [...paths];
}

for (const path of shimFilesystemPaths()) {
  const shim = (await import(pathToFileURL(path).href)) as ShimFilesystem;
  const preopens = shim._getPreopens();
  if (!preopens.some(([, virtualPath]) => virtualPath === '/')) shim._addPreopen('/', '/');
}
