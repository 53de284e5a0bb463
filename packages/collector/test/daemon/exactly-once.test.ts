// Exactly once across SIGKILL: writers append frames (one append per frame) while a spawned
// collector is killed at seeded random moments and restarted; after a clean stop, the metric log's
// per-second sums and the checkpointed counters equal what was written. Replay a run with
// SW_SEED=<seed> (printed as a test comment); SENTINEL_WASI_KILLS=<n> kills more often.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { bucketSecOf, encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { ensurePin } from '../../src/pin/pin.js';
import { expectedSums, metricSums, prng, testSeed, withoutLines } from './helpers.js';
import { tempDir } from '../../../../test/helpers/repo.js';

const CLI = fileURLToPath(new URL('./fixtures/cli.ts', import.meta.url));
const GRACE_MS = 300;

function spawnCollector(pin: string, out: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'collector', '--pin', pin, '--port', '0', '--grace-ms', String(GRACE_MS), '--tick-ms', '40', '--checkpoint-ms', '150'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TZ: 'UTC' },
  });
  child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
  return child;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once the child has logged its start (so a kill hits a running collector). */
async function started(child: ChildProcess): Promise<void> {
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      text += d.toString();
      if (text.includes('"collector started"')) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', () => reject(new Error(`collector exited before starting: ${text}`)));
  });
}

t.test('every record counted once across random SIGKILLs of the collector', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const pin = await tempDir(t, 'exactly-once');
  ensurePin(pin, 'exactly');
  const written: FlowEvent[] = [];
  const names = ['alpha', 'beta', 'gamma', '资源', 'delta/with/slash'];
  const kinds = [RecordKind.PASS, RecordKind.BLOCK, RecordKind.EXIT, RecordKind.CALL];
  let writing = true;
  const writer = async (id: string): Promise<void> => {
    while (writing) {
      const now = Date.now();
      const batch: FlowEvent[] = [];
      const n = 1 + Math.floor(rand() * 30);
      for (let i = 0; i < n; i++) {
        const kind = kinds[Math.floor(rand() * kinds.length)]!;
        const name = names[Math.floor(rand() * names.length)]!;
        const tsMs = now - Math.floor(rand() * 50);
        if (kind === RecordKind.PASS || kind === RecordKind.BLOCK) batch.push({ kind, tsMs, name, count: 1 + Math.floor(rand() * 3) });
        else if (kind === RecordKind.EXIT) batch.push({ kind, tsMs, name, rtMs: 7, error: rand() < 0.2, count: 1 + Math.floor(rand() * 2) });
        else batch.push({ kind: RecordKind.CALL, tsMs, name, rtMs: 7, error: rand() < 0.2 });
      }
      const path = join(pin, 'log', segmentName(bucketSecOf(now), id));
      for (const f of encodeFrames(batch)) appendFileSync(path, f);
      written.push(...batch);
      await sleep(2 + Math.floor(rand() * 8));
    }
  };
  const out: string[] = [];
  const writers = Promise.all([writer('w1'), writer('w2')]);
  let child = spawnCollector(pin, out);
  await started(child);
  const kills = Number(process.env.SENTINEL_WASI_KILLS ?? 2);
  for (let k = 0; k < kills; k++) {
    await sleep(50 + Math.floor(rand() * 900));
    child.kill('SIGKILL');
    await once(child, 'exit');
    child = spawnCollector(pin, out);
    await started(child);
  }
  await sleep(200);
  writing = false;
  await writers;
  const lastTs = Math.max(...written.map((e) => e.tsMs));
  // Every second written to is sealed after its end plus the grace period.
  await sleep(Math.max(0, Math.ceil(lastTs / 1000) * 1000 + GRACE_MS + 600 - Date.now()));
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 0, 'clean stop on SIGTERM');

  const checkpoint = JSON.parse(readFileSync(join(pin, 'collector', 'checkpoint.json'), 'utf8'));
  const c = checkpoint.store.counters;
  t.equal(c.recordsCounted, written.length, `${written.length} records written, each counted once`);
  t.same([c.recordsRejected, c.framesSkipped, c.recordsLateDropped, c.recordsFuture], [0, 0, 0, 0]);
  t.same(checkpoint.store.pending, [], 'nothing left unsealed');
  const got = withoutLines(metricSums(pin));
  const want = expectedSums(written);
  t.same(got, want, 'metric-log sums per second and resource equal what was written');
  t.equal(existsSync(join(pin, 'collector', 'address.json')), false, 'address removed on clean stop');
  t.equal(existsSync(join(pin, 'collector', 'lock')), false, 'lock released');
  const restarts = out.join('').split('\n').filter((l) => l.includes('"collector started"')).map((l) => JSON.parse(l) as { truncatedMetricBytes: number });
  t.equal(restarts.length, kills + 1);
  t.comment(`metric-log bytes cut back on each restart: ${restarts.map((r) => r.truncatedMetricBytes).join(', ')}`);
  if (!t.passing() || process.env.SENTINEL_WASI_DEBUG) t.comment(out.join(""));
});
