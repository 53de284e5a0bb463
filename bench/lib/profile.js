// Owns reading a V8 .cpuprofile (node --cpu-prof): self and total time per function, top N; and
// self time per source line (V8's position ticks), top N, with the line's code.

import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Top `n` frames by self time (and their total time) from a .cpuprofile file; with `within`, only
 * samples whose stack holds a function of that name count (e.g. the timed ingest loop).
 */
export function topFrames(path, n = 15, root = process.cwd(), within = null) {
  const prof = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of prof.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const selfUs = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const keyOf = (node) => {
    const f = node.callFrame;
    const url = f.url.startsWith('file://') ? relative(root, new URL(f.url).pathname) : f.url;
    // tsx-compiled .ts files report generated positions: a line number would mislead there.
    const line = url === '' || url.endsWith('.ts') ? '' : `:${f.lineNumber + 1}`;
    return `${f.functionName || '(anonymous)'} ${url}${line}`;
  };
  const self = new Map();
  const total = new Map();
  const byCategory = new Map();
  let all = 0;
  const holds = (id) => {
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) if (byId.get(cur).callFrame.functionName === within) return true;
    return false;
  };
  for (const [id, us] of selfUs) {
    if (within !== null && !holds(id)) continue;
    all += us;
    const node = byId.get(id);
    const k = keyOf(node);
    const cat = categoryOf(node.callFrame);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
    self.set(k, (self.get(k) ?? 0) + us);
    // total: credit each distinct function on the stack once
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const ck = keyOf(byId.get(cur));
      if (seen.has(ck)) continue;
      seen.add(ck);
      total.set(ck, (total.get(ck) ?? 0) + us);
    }
  }
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, us]) => ({ frame, selfPct: (100 * us) / all, totalPct: (100 * (total.get(frame) ?? 0)) / all }));
  const totals = [...total.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3 * n).map(([frame, us]) => ({ frame, totalPct: (100 * us) / all }));
  const categories = [...byCategory.entries()].sort((a, b) => b[1] - a[1]).map(([category, us]) => ({ category, selfPct: (100 * us) / all }));
  return { sampledMs: all / 1000, within, rows, totals, categories };
}

/** Where a frame's code lives, by its URL: the split the report gives beside the top frames. */
function categoryOf(f) {
  if (/collector\/(src|dist)\/stats\//.test(f.url)) return 'aggregation (collector stats/)';
  if (/collector\/(src|dist)\/ingest\//.test(f.url)) return 'ingest loop (collector ingest/)';
  if (/protocol\/(src|dist)\//.test(f.url)) return 'scan, decode, validate (protocol)';
  if (/msgpackr/.test(f.url)) return 'msgpackr decode';
  if (f.functionName === '(garbage collector)') return 'garbage collector';
  if (/bench\//.test(f.url)) return 'benchmark harness (reads, sealing)';
  if (f.url.startsWith('node:') || f.url === '') return 'Node/V8 built-ins (reads, CRC-32, Map/string internals)';
  return 'other';
}

/**
 * Top `n` source lines by self time (V8's position ticks: the line each sample was on), from
 * functions whose code lies under one of `under` (paths relative to root); with `within`, only
 * samples whose stack holds a function of that name. Each row: `where` (path:line), the function,
 * its share of the sampled ticks and the line's code (trimmed). Meant for compiled JavaScript: a
 * tsx-compiled .ts file reports generated positions, so such files are left out.
 */
export function topLines(path, n = 15, root = process.cwd(), within = null, under = []) {
  const prof = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of prof.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const holds = (id) => {
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) if (byId.get(cur).callFrame.functionName === within) return true;
    return false;
  };
  const ticks = new Map();
  let all = 0;
  for (const node of prof.nodes) {
    if (within !== null && !holds(node.id)) continue;
    const f = node.callFrame;
    const url = f.url.startsWith('file://') ? relative(root, new URL(f.url).pathname) : f.url;
    for (const t of node.positionTicks ?? []) {
      all += t.ticks;
      if (url.endsWith('.ts') || !under.some((u) => url.startsWith(u))) continue;
      const key = `${url}:${t.line}\u0000${f.functionName || '(anonymous)'}`;
      ticks.set(key, (ticks.get(key) ?? 0) + t.ticks);
    }
  }
  const sources = new Map();
  const codeAt = (file, line) => {
    if (!sources.has(file)) sources.set(file, existsSync(`${root}/${file}`) ? readFileSync(`${root}/${file}`, 'utf8').split('\n') : []);
    return (sources.get(file)[line - 1] ?? '').trim();
  };
  return [...ticks.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, count]) => {
      const [where, fn] = key.split('\u0000');
      const colon = where.lastIndexOf(':');
      const code = codeAt(where.slice(0, colon), Number(where.slice(colon + 1)));
      // A declaration or comment is not where a sample runs: the line is one of a function inlined from another file.
      return { where, fn, selfPct: (100 * count) / all, code, inlined: /^(export |import |\/\/|\/\*|\*)/.test(code) };
    });
}
