// Temp files a collector killed between writing and renaming leaves behind are removed when the
// next collector starts (it holds the lock), and named in its start-up log line; the lock's own
// temp files (starters racing for it) and files that only look alike are left.
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { runDaemon } from '../../src/daemon/run.js';
import { ensurePin } from '../../src/pin/pin.js';
import { removeLeftoverTemps } from '../../src/pin/leftover-temps.js';

const HEX = '0123456789abcdef';

t.test('removed: collector/, rules/ and the map’s; left: the lock’s and look-alikes', async (t) => {
  const pin = mkdtempSync(join(tmpdir(), 'sw-temps-'));
  t.teardown(() => rmSync(pin, { recursive: true, force: true }));
  const { paths } = ensurePin(pin, 'temps');
  const gone = [
    join(paths.collectorDir, `map-ids.json.tmp-${HEX}`),
    join(paths.collectorDir, `checkpoint.json.tmp-${HEX}`),
    join(paths.rulesDir, `degrade.json.tmp-${HEX}`),
    join(pin, `map.tmp-${HEX}`),
  ];
  const kept = [
    join(paths.collectorDir, `lock.tmp-${HEX}`),
    join(paths.collectorDir, 'checkpoint.json.tmp-XYZ'),
    join(paths.rulesDir, 'degrade.json.tmp'),
    join(paths.rulesDir, `notes.txt.tmp-${HEX}`),
    join(pin, `PIN.tmp-${HEX}`),
  ];
  for (const p of [...gone, ...kept]) writeFileSync(p, 'x');
  t.same(removeLeftoverTemps(paths).sort(), [...gone].sort());
  t.same(gone.filter(existsSync), []);
  t.same(kept.filter(existsSync), kept);
  t.same(removeLeftoverTemps(paths), [], 'nothing more the second time');
});

t.test('the daemon removes them at start and names them in "collector started"', async (t) => {
  const pin = mkdtempSync(join(tmpdir(), 'sw-temps-'));
  const { paths } = ensurePin(pin, 'temps');
  const left = join(paths.collectorDir, `map-ids.json.tmp-${HEX}`);
  writeFileSync(left, '{"epoch":');
  const lines: Array<{ msg: string; removedTempFiles?: string[] }> = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
  const daemon = await runDaemon({ pinDir: pin, logger, http: false });
  t.teardown(async () => {
    await daemon.stop();
    rmSync(pin, { recursive: true, force: true });
  });
  t.equal(existsSync(left), false);
  t.same(lines.find((l) => l.msg === 'collector started')?.removedTempFiles, [left]);
});
