// Owns what the build says when the WIT of `--wit` cannot be used: jco's account of it (a
// ComponentError, its "Caused by" chain, then a JavaScript stack) made one line, E_WIT, with the
// staging directory's paths put back as the user's --wit directory; when a world is not found (a
// wrong --world-name, a typo in an `include`), the worlds its package does have, read from the
// staged .wit files.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The --wit directory or the world in it cannot be used: nothing was built. */
export class WitError extends Error {
  readonly code = 'E_WIT';
  constructor(message: string) {
    super(message);
    this.name = 'WitError';
  }
}

/**
 * The cause in jco's output: its ComponentError's message and the lines of its "Caused by" chain
 * (`0: `, `1: ` dropped), joined with `: `, without the stack. Undefined when there is none.
 */
export function jcoCause(output: string): string | undefined {
  const lines = output.split('\n');
  const first = lines.findIndex((l) => /ComponentError: /.test(l));
  if (first < 0) return undefined;
  const parts = [lines[first]!.replace(/^.*?ComponentError: /, '')];
  for (const line of lines.slice(first + 1)) {
    if (/^\s+at /.test(line)) break;
    parts.push(line);
  }
  let text = '';
  let list = false; // after "known packages:", one package a line
  for (const p of parts.map((l) => l.trim().replace(/^\d+: /, '')).filter((l) => l !== '' && l !== 'Caused by:')) {
    if (text === '') text = p;
    else if (list) text += `, ${p}`;
    else if (text.endsWith(':')) {
      list = text.endsWith('known packages:');
      text += ` ${p}`;
    } else text += `: ${p}`;
  }
  return text;
}

/** Whether jco componentize failed while reading the WIT (not while building the filter's code). */
export function isWitFailure(output: string): boolean {
  return /componentWitMetadataForWorld|reading WIT dir/.test(output);
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/** The .wit files of one package: a directory's own, or one file under deps/. */
function witFiles(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.wit') ? [path] : [];
  return readdirSync(path)
    .filter((f) => f.endsWith('.wit'))
    .sort()
    .map((f) => join(path, f));
}

/** The worlds of each package in a staged WIT directory (its own files and each of deps/), by package id. */
export function worldsByPackage(witDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let deps: string[] = [];
  try {
    deps = readdirSync(join(witDir, 'deps')).map((d) => join(witDir, 'deps', d));
  } catch {
    // no deps/
  }
  for (const pkg of [witDir, ...deps]) {
    let name: string | undefined;
    const worlds: string[] = [];
    for (const file of witFiles(pkg)) {
      const text = stripComments(readFileSync(file, 'utf8'));
      name ??= /^\s*package\s+([^\s;{]+)\s*;/m.exec(text)?.[1];
      for (const m of text.matchAll(/^\s*world\s+%?([a-z][a-z0-9-]*)\s*\{/gm)) worlds.push(m[1]!);
    }
    if (name !== undefined) out.set(name, [...(out.get(name) ?? []), ...worlds]);
  }
  return out;
}

/** The package the --wit directory's own files declare. */
function ownPackage(witDir: string): string | undefined {
  for (const file of witFiles(witDir)) {
    const name = /^\s*package\s+([^\s;{]+)\s*;/m.exec(stripComments(readFileSync(file, 'utf8')))?.[1];
    if (name !== undefined) return name;
  }
  return undefined;
}

/**
 * The WitError for jco's output about the staged WIT at `stagedWit` (copied from the user's
 * `userWit`), building `worldName`.
 */
export function witError(output: string, stagedWit: string, userWit: string, worldName: string): WitError {
  const cause = (jcoCause(output) ?? output.trim().split('\n')[0] ?? 'jco could not read it')
    .replace(/reading WIT dir at \[[^\]]*\]: /, '')
    .split(stagedWit)
    .join(userWit);
  const missing = /world [`']([^`']+)[`'] not found in package [`']([^`']+)[`']/i.exec(cause);
  if (missing !== null) {
    const [, world, pkg] = missing as unknown as [string, string, string];
    const worlds = worldsByPackage(stagedWit).get(pkg) ?? [];
    const has = worlds.length === 0 ? 'which has no worlds' : `which has: ${worlds.join(', ')}`;
    if (world === worldName && pkg === ownPackage(stagedWit)) {
      return new WitError(`--world-name ${worldName}: no world ${worldName} in package ${pkg} (--wit ${userWit}), ${has} (nothing built)`);
    }
    return new WitError(`the WIT in ${userWit} does not resolve: no world ${world} in package ${pkg}, ${has} (nothing built)`);
  }
  const noPackage = /package [`']([^`']+)[`'] not found/.exec(cause);
  if (noPackage !== null) {
    const packages = [...worldsByPackage(stagedWit).keys()].sort();
    return new WitError(`the WIT in ${userWit} does not resolve: no package ${noPackage[1]}; the packages there: ${packages.join(', ')} (nothing built)`);
  }
  return new WitError(`the WIT in ${userWit} does not resolve: ${cause} (nothing built)`);
}
