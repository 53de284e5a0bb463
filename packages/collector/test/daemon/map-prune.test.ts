// The map's slots follow the resources the collector tracks across restarts: a daemon restarted at
// once keeps the last run's counted resources in the map (the warm start tracks them again); one
// restarted a minute or more later (nothing refilled, nothing tracked) clears their slots at its
// first tick, their ids retired, so a long-lived pin's map does not fill with every name it once saw;
// retired ids are forgotten once the sealed seconds are 120 s past them, so its id file does not either.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { bucketSecOf, RecordKind } from '@sentinel-wasi/protocol';
import { runDaemon } from '../../src/daemon/run.js';
import { ensurePin } from '../../src/pin/pin.js';
import { readVerdict } from '../map/map-files.js';
import { appendEvents } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const silent = pino({ level: 'silent' });

const countedIn = (pin: string): string[] =>
  (JSON.parse(readFileSync(join(pin, 'collector', 'map-ids.json'), 'utf8')) as { entries: Array<{ name: string; counted?: boolean }> }).entries
    .filter((e) => e.counted === true)
    .map((e) => e.name)
    .sort();

const retiredIn = (pin: string): string[] =>
  ((JSON.parse(readFileSync(join(pin, 'collector', 'map-ids.json'), 'utf8')) as { retired?: Array<{ name: string }> }).retired ?? []).map((r) => r.name).sort();

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await sleep(25);
  }
  throw new Error(`never: ${what}`);
}

t.test('a restart at once keeps the counted resources\' slots; one 70 s later clears them at its first tick', async (t) => {
  const pin = mkdtempSync(join(tmpdir(), 'sw-map-prune-'));
  t.teardown(() => rmSync(pin, { recursive: true, force: true }));
  ensurePin(pin, 'prune');
  const tsMs = Date.now() - 3000;
  appendEvents(pin, bucketSecOf(tsMs), 'w1', ['a', 'b'].map((name) => ({ kind: RecordKind.CALL, tsMs, name, rtMs: 1, error: false })));
  const options = { pinDir: pin, logger: silent, graceMs: 100, tickMs: 50, http: false as const };
  let d = await runDaemon(options);
  await until('a and b counted with slots', () => { try { return countedIn(pin).join() === 'a,b'; } catch { return false; } });
  await sleep(400); // their second sealed and written to the metric log
  await d.stop();
  const ids = ['a', 'b'].map((k) => readVerdict(pin, k, Date.now()).resourceId);

  d = await runDaemon(options);
  await sleep(300); // a few ticks
  t.same(countedIn(pin), ['a', 'b'], 'restarted at once: the warm start tracks them again, they keep their slots');
  t.same(['a', 'b'].map((k) => readVerdict(pin, k, Date.now()).resourceId), ids, 'and their ids');
  await d.stop();

  let offsetMs = 70_000;
  d = await runDaemon({ ...options, nowMs: () => Date.now() + offsetMs });
  await until('the slots cleared', () => countedIn(pin).length === 0);
  t.same(['a', 'b'].map((k) => readVerdict(pin, k, Date.now() + 70_000).outcome), ['miss', 'miss'], 'restarted 70 s later: no slot for either');
  t.same(retiredIn(pin), ['a', 'b'], 'their ids retired (still resolved)');
  // 130 s on, the sealed seconds are more than 120 s past their retirement: the ids are forgotten.
  offsetMs = 200_000;
  await until('the retired ids forgotten', () => retiredIn(pin).length === 0);
  await d.stop();
});
