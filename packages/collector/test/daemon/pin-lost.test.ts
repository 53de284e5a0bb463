// The running daemon keeps the pin's PIN header in place: removed while it runs, it is written
// again within about a second of the control tick, and the daemon logs E_PIN_LOST once.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { runDaemon } from '../../src/daemon/run.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('a PIN removed while the daemon runs is back within seconds, logged once as E_PIN_LOST', async (t) => {
  const pin = mkdtempSync(join(tmpdir(), 'sw-pinlost-'));
  t.teardown(() => rmSync(pin, { recursive: true, force: true }));
  const lines: Array<{ code?: string; msg: string }> = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
  const daemon = await runDaemon({ pinDir: pin, app: 'kept', logger, graceMs: 100, tickMs: 50, http: false });
  t.teardown(() => daemon.stop());
  const header = join(pin, 'PIN');
  const before = readFileSync(header, 'utf8');
  rmSync(header);
  let back = false;
  for (let i = 0; i < 150 && !back; i++) {
    await sleep(20);
    back = lines.some((l) => l.code === 'E_PIN_LOST');
  }
  t.ok(back, 'logged');
  t.equal(readFileSync(header, 'utf8'), before, 'the same header');
  await sleep(1200); // more control ticks: nothing more to say
  t.same(lines.filter((l) => l.code === 'E_PIN_LOST').map((l) => l.msg), [`the pin header ${header} was removed while the collector ran (serve, run, stats and top refuse a pin without it): written again`]);
  await daemon.stop();
});
