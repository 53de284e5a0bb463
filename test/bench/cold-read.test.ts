// The freshness section's warm/cold diagnostic (bench/lib/cold-read.js) in a real child process
// (tsx loaded, as bench/lib/child.js runs it): every timed read reads its append, every record of
// every append is counted, and each of the six timings has one value per sample.

import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
  const script = `import(${JSON.stringify(MODULE)}).then((m) => m.coldRead({ samples: 7, gapMs: 2 })).then((r) => process.stdout.write(JSON.stringify(r)));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0, err);
  const r = JSON.parse(out) as ColdRead;
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
