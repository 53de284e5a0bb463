// Owns a stage probe preloaded into the collector under the freshness benchmark (`node --import
// bench/lib/stage-probe.js …`): it times, on the daemon's own clock, each callback of an fs.watch
// on a directory named `log` (the log directory's watch event: the read of what was appended), each
// HTTP request from its 'request' event to its response's 'finish' (the answer, its write handed to
// the kernel included), and each GC pause (PerformanceObserver 'gc': scavenges apart from the rest). At exit it writes them as JSON
// to $SW_BENCH_STAGE_PROBE_OUT. Two clock reads per event; it changes nothing else.

import fs, { writeFileSync } from 'node:fs';
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';

const out = process.env.SW_BENCH_STAGE_PROBE_OUT;
if (out) {
  const watchMs = [];
  const answerMs = [];
  const gcMs = [];
  const nodeWatch = fs.watch;
  fs.watch = function watch(dir, options, listener) {
    if (typeof options === 'function') [options, listener] = [{}, options];
    if (typeof listener !== 'function' || basename(String(dir)) !== 'log') return nodeWatch.call(fs, dir, options, listener);
    return nodeWatch.call(fs, dir, options, function timed(...args) {
      const t0 = performance.now();
      try {
        return listener.apply(this, args);
      } finally {
        watchMs.push(performance.now() - t0);
      }
    });
  };
  syncBuiltinESMExports(); // `import { watch } from 'node:fs'` sees the timed one
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function timedEmit(event, req, res) {
    if (event === 'request') {
      const t0 = performance.now();
      res.once('finish', () => answerMs.push(performance.now() - t0));
    }
    return emit.apply(this, arguments);
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs.push([e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR ? 'minor' : 'other', e.duration]);
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => writeFileSync(out, JSON.stringify({ watchMs, answerMs, gcMs })));
}
