// Problems found while the daemon starts are logged once, like any later problem: a checkpoint
// missing over a metric log that has lines (E_CHECKPOINT_MISSING), one that cannot be read
// (E_CHECKPOINT_INVALID, moved aside), and a resource map that cannot be created (E_MAP_WRITE).
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { bucketSecOf, RecordKind } from '@sentinel-wasi/protocol';
import { runDaemon } from '../../src/daemon/run.js';
import { ensurePin } from '../../src/pin/pin.js';
import { appendEvents } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface LogLine {
  level: number;
  msg: string;
  code?: string;
}

async function daemonOn(pin: string): Promise<{ lines: LogLine[]; stop: () => Promise<void>; logged: (code: string) => Promise<LogLine[]> }> {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk)) as LogLine); cb(); } }));
  const daemon = await runDaemon({ pinDir: pin, logger, graceMs: 100, tickMs: 50, host: '127.0.0.1', port: 0 });
  const logged = async (code: string): Promise<LogLine[]> => {
    for (let i = 0; i < 200; i++) {
      const found = lines.filter((l) => l.code === code);
      if (found.length > 0) {
        await sleep(300); // a few more cycles: it is not logged again
        return lines.filter((l) => l.code === code);
      }
      await sleep(20);
    }
    throw new Error(`never logged: ${code}; log:\n${lines.map((l) => `${l.code ?? ''} ${l.msg}`).join('\n')}`);
  };
  return { lines, stop: () => daemon.stop(), logged };
}

/** A pin whose metric log holds one written second: a daemon ran on it and stopped. */
async function pinWithLog(name: string): Promise<string> {
  const pin = mkdtempSync(join(tmpdir(), `sw-${name}-`));
  ensurePin(pin, 'startlog');
  const tsMs = Date.now() - 5000;
  appendEvents(pin, bucketSecOf(tsMs), 'w1', [{ kind: RecordKind.CALL, tsMs, name: 'r', rtMs: 1, error: false }]);
  const first = await daemonOn(pin);
  for (let i = 0; i < 200 && !first.lines.some((l) => l.msg === 'collector started'); i++) await sleep(20);
  await sleep(500); // the second is sealed (grace 100 ms) and written
  await first.stop();
  return pin;
}

for (const [how, code] of [['removed', 'E_CHECKPOINT_MISSING'], ['unreadable', 'E_CHECKPOINT_INVALID']] as const) {
  t.test(`checkpoint ${how}: the start logs ${code} once, saying what happens`, async (t) => {
    const pin = await pinWithLog(how);
    t.teardown(() => rmSync(pin, { recursive: true, force: true }));
    const checkpoint = join(pin, 'collector', 'checkpoint.json');
    if (how === 'removed') rmSync(checkpoint);
    else writeFileSync(checkpoint, '{"version": 1');
    const d = await daemonOn(pin);
    t.teardown(() => d.stop());
    const lines = await d.logged(code);
    t.equal(lines.length, 1, 'logged once');
    t.equal(lines[0]!.level, 40);
    t.notMatch(lines[0]!.msg, /^E_/, 'the code is a field, not repeated in the message');
    t.match(lines[0]!.msg, /the segments in log\/ are read from their start, and their records of seconds up to .* \(already in the metric log\) are skipped, counted in recordsAlreadyLogged$/);
  });
}

t.test('a resource map that cannot be created: E_MAP_WRITE is logged at start', async (t) => {
  const pin = mkdtempSync(join(tmpdir(), 'sw-mapfail-'));
  ensurePin(pin, 'startlog');
  t.teardown(() => rmSync(pin, { recursive: true, force: true }));
  mkdirSync(join(pin, 'map')); // a directory where the map file goes
  const d = await daemonOn(pin);
  t.teardown(() => d.stop());
  const lines = await d.logged('E_MAP_WRITE');
  t.equal(lines.length, 1, 'logged once (repeats within 10 s are counted, not logged)');
  t.match(lines[0]!.msg, /^cannot create the resource map: .*; filters fail open \(no flow control\) until it exists; next try in 5 s$/);
});
