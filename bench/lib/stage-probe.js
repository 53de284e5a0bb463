// Owns a stage probe preloaded into the collector under the freshness benchmark (`node --import
// bench/lib/stage-probe.js …`): it times, on the daemon's own clock, each callback of an fs.watch
// on a directory named `log` (the log directory's watch event: the read of what was appended), each
// HTTP request from its 'request' event to its response's 'finish' (the answer, its write handed to
// the kernel included), each timer callback (setTimeout / setInterval: the daemon's periodic work),
// and each GC pause (PerformanceObserver 'gc': scavenges apart from the rest). Every event is kept
// with its start on the monotonic clock (process.hrtime, the clock every process on the machine
// shares, so a benchmark can lay its own samples beside them), its wall time and, for callbacks and
// answers, the process's CPU time over it (process.cpuUsage). At exit it writes them as JSON to
// $SW_BENCH_STAGE_PROBE_OUT. Two clock reads and two CPU reads per event; it changes nothing else.

import fs, { writeFileSync } from 'node:fs';
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { cpuMs, monoMs, perfToMonoMs } from './freshness-stages.js';

const out = process.env.SW_BENCH_STAGE_PROBE_OUT;
if (out) {
  // [startMs (monotonic), wallMs, cpuMs] each; gc: [kind, startMs (monotonic), ms].
  const watch = [];
  const answer = [];
  const timer = [];
  const gc = [];
  const timed = (into, fn) =>
    function timedCallback(...args) {
      const t0 = monoMs();
      const c0 = cpuMs();
      try {
        return fn.apply(this, args);
      } finally {
        into.push([t0, monoMs() - t0, cpuMs() - c0]);
      }
    };
  const nodeWatch = fs.watch;
  fs.watch = function watchTimed(dir, options, listener) {
    if (typeof options === 'function') [options, listener] = [{}, options];
    if (typeof listener !== 'function' || basename(String(dir)) !== 'log') return nodeWatch.call(fs, dir, options, listener);
    return nodeWatch.call(fs, dir, options, timed(watch, listener));
  };
  syncBuiltinESMExports(); // `import { watch } from 'node:fs'` sees the timed one
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function timedEmit(event, req, res) {
    if (event === 'request') {
      const t0 = monoMs();
      const c0 = cpuMs();
      res.once('finish', () => answer.push([t0, monoMs() - t0, cpuMs() - c0]));
    }
    return emit.apply(this, arguments);
  };
  const nodeSetTimeout = globalThis.setTimeout;
  const nodeSetInterval = globalThis.setInterval;
  globalThis.setTimeout = Object.assign((fn, ...rest) => nodeSetTimeout(typeof fn === 'function' ? timed(timer, fn) : fn, ...rest), { [promisify.custom]: nodeSetTimeout[promisify.custom] });
  globalThis.setInterval = (fn, ...rest) => nodeSetInterval(typeof fn === 'function' ? timed(timer, fn) : fn, ...rest);
  const gcToMonoMs = perfToMonoMs(); // GC entries' startTime is on performance.now()'s clock, the same clock from the process's start
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push([e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR ? 'minor' : 'other', gcToMonoMs + e.startTime, e.duration]);
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => writeFileSync(out, JSON.stringify({ watch, answer, timer, gc })));
}
