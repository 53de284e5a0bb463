// Owns describing the run: machine, OS, versions of what is measured, git commit, date.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, release, platform } from 'node:os';
import { join } from 'node:path';

function pkgVersion(root, name) {
  for (const p of [join(root, 'node_modules', name, 'package.json'), join(root, 'node_modules/@bytecodealliance/jco/node_modules', name, 'package.json')]) {
    if (existsSync(p)) return JSON.parse(readFileSync(p, 'utf8')).version;
  }
  return null;
}

function git(root, args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function collectMeta(root) {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    machine: { cpuModel: c[0]?.model ?? 'unknown', cpus: c.length, memoryGb: totalmem() / 2 ** 30, freeMemoryGbAtStart: freemem() / 2 ** 30, loadAvgAtStart: loadavg(), os: `${platform()} ${release()}` },
    versions: {
      node: process.versions.node,
      v8: process.versions.v8,
      msgpackr: pkgVersion(root, 'msgpackr'),
      jco: pkgVersion(root, '@bytecodealliance/jco'),
      componentizeJs: pkgVersion(root, '@bytecodealliance/componentize-js'),
      componentizeQjs: pkgVersion(root, 'componentize-qjs'),
      chokidar: pkgVersion(root, 'chokidar'),
    },
    git: { commit: git(root, ['rev-parse', 'HEAD']), dirtyFiles: (git(root, ['status', '--porcelain']) ?? '').split('\n').filter(Boolean).length },
  };
}
