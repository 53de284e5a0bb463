// The freshness section's warm/cold diagnostic (bench/lib/cold-read.js) in a real child process,
// run by bench/lib/child.js as the benchmarks run it: every timed read reads its append, every
// record of every append is counted, and each of the six timings has one value per sample.

import t from 'tap';
import { fileURLToPath } from 'node:url';
// @ts-expect-error a plain JS module of the benchmarks (no types)
import { runChild } from '../../bench/lib/child.js';

const MODULE = fileURLToPath(new URL('../../bench/lib/cold-read.js', import.meta.url));

interface Row {
  samples: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}
interface ColdRead {
  samples: number;
  gapMs: number;
  read: { warm: Row; afterSleep: Row; afterSpin: Row };
  reference: { objects: number; warm: Row; afterSleep: Row; afterSpin: Row };
  recordsCounted: number;
}

t.test('7 samples 2 ms apart: 221 appends read and 442 records counted, six timings of 7', async (t) => {
  // runChild rejects when the child exits non-zero, with what it said.
  const run = runChild(MODULE, 'coldRead', { samples: 7, gapMs: 2 });
  await t.resolves(run, 'the child exits 0');
  const r = (await run) as ColdRead;
  t.equal(r.samples, 7);
  t.equal(r.gapMs, 2);
  // 200 warm-up appends and 3 a sample, a PASS and a CALL each.
  t.equal(r.recordsCounted, 2 * (200 + 3 * 7));
  t.equal(r.reference.objects, 1000);
  for (const [what, rows] of [['read', r.read], ['reference', r.reference]] as const) {
    for (const k of ['warm', 'afterSleep', 'afterSpin'] as const) {
      const x = rows[k];
      t.equal(x.samples, 7, `${what} ${k} samples`);
      t.ok(x.p50Ms > 0 && x.p50Ms <= x.p90Ms && x.p90Ms <= x.p99Ms, `${what} ${k}: ${x.p50Ms} ≤ ${x.p90Ms} ≤ ${x.p99Ms} ms`);
    }
  }
});
