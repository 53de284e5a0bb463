// Measures, inside a component, what the SDK costs per event: buffered record helpers and
// entry/exit pairs (frames written when full), one append per request (flush on idle), and the
// clock reads they rest on. Timed with the wall clock over many iterations; prints one line per
// case to stderr. Built for each backend and run under a real host (see README "Backends").
//
//   sentinel-wasi build bench/event-cost.ts -o event-cost-qjs.wasm --backend quickjs
//   wasmtime run --dir /tmp/pin::/pin event-cost-qjs.wasm [iterations]

import { createSentinel } from '@sentinel-wasi/filter';
import { FrameBuilder, utf8Encode } from '@sentinel-wasi/protocol/encode';
import { getArguments } from 'wasi:cli/environment@0.2.12';
import { getStderr } from 'wasi:cli/stderr@0.2.12';
import { now as wallNow } from 'wasi:clocks/wall-clock@0.2.12';

function report(name: string, n: number, ms: number): string {
  return `${name}: ${((ms * 1000) / n).toFixed(3)} us/op (${n} ops in ${ms} ms)\n`;
}

function time(n: number, fn: (i: number) => void): number {
  const t0 = Date.now();
  for (let i = 0; i < n; i++) fn(i);
  return Date.now() - t0;
}

const NAMES = ['GET /', 'POST /api/orders', 'GET /api/items/{id}', '资源-订单', 'GET /static/app.js', 'PUT /cart'];

export const run = {
  run(): void {
    const args = getArguments();
    const n = args.length > 1 ? Number(args[1]) : 50000;
    let out = '';
    let sink = 0;
    out += report('Date.now()', n, time(n, () => (sink += Date.now())));
    out += report('wasi:clocks/wall-clock now()', n / 10, time(n / 10, () => (sink += Number(wallNow().seconds))));

    const fb = new FrameBuilder();
    const t0 = Date.now();
    out += report('FrameBuilder.addCall alone (encoder floor, no I/O)', n, time(n, (i) => {
      if (!fb.addCall(t0 + i, NAMES[i % 6]!, i % 50, i % 20 === 0)) {
        fb.finish();
        fb.addCall(t0 + i, NAMES[i % 6]!, i % 50, i % 20 === 0);
      }
    }));

    const buffered = createSentinel({ writer: 'bench-a', flushOnIdle: false });
    out += report('recordCall (buffered, frames written when full)', n, time(n, (i) => buffered.recordCall(NAMES[i % 6]!, i % 50, { error: i % 20 === 0 })));
    buffered.flush();
    const s1 = buffered.stats();
    out += `  -> ${s1.recordsWritten} records in ${s1.framesWritten} frames, ${s1.recordsDropped} dropped\n`;

    const pairs = createSentinel({ writer: 'bench-b', flushOnIdle: false });
    out += report('entry()+exit() (buffered)', n, time(n, (i) => pairs.entry(NAMES[i % 6]!).exit({ error: i % 20 === 0 })));
    pairs.flush();
    const s2 = pairs.stats();
    out += `  -> ${s2.recordsWritten} records in ${s2.framesWritten} frames, ${s2.recordsDropped} dropped\n`;

    const perRequest = createSentinel({ writer: 'bench-c' });
    const m = Math.max(1, Math.floor(n / 10));
    out += report('entry()+exit() with one append per request', m, time(m, (i) => perRequest.entry(NAMES[i % 6]!).exit()));
    const s3 = perRequest.stats();
    out += `  -> ${s3.recordsWritten} records in ${s3.framesWritten} frames, ${s3.recordsDropped} dropped\n`;
    out += `(checksum ${sink % 7})\n`;
    const bytes = utf8Encode(out);
    const err = getStderr();
    for (let p = 0; p < bytes.length; p += 4096) err.blockingWriteAndFlush(bytes.subarray(p, Math.min(p + 4096, bytes.length)));
  },
};
