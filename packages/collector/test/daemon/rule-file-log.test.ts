// A rule file the daemon cannot use: its log line says what is in force (none at start-up, else the
// previous N rules) and /api/v1/health shows the file's error and the count in force. A half-written
// file (as `cat > flow.json` leaves it for a moment) is reported, the previous set stays, and the
// next change to the file loads the completed rules.
import t from 'tap';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDaemon } from '../../src/daemon/run.js';
import { ensurePin } from '../../src/pin/pin.js';
import { captureLog } from './log-capture.js';

interface LogLine {
  level: number;
  msg: string;
  code?: string;
  active?: number;
}

interface FileHealth {
  active: number;
  error?: { code: string; reason: string };
}

t.test('rule files that cannot be used: the log line and health say what is in force', async (t) => {
  const pin = mkdtempSync(join(tmpdir(), 'sw-rulelog-'));
  ensurePin(pin, 'rules');
  const rules = join(pin, 'rules');
  writeFileSync(join(rules, 'flow.json'), '{}');
  writeFileSync(join(rules, 'degrade.json'), '{}');
  const { logger, lines, logged } = captureLog<LogLine>();
  const daemon = await runDaemon({ pinDir: pin, logger, graceMs: 100, tickMs: 50, host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await daemon.stop();
    rmSync(pin, { recursive: true, force: true });
  });
  const health = async (): Promise<{ flow: FileHealth; degrade: FileHealth }> =>
    ((await (await fetch(`${daemon.url}/api/v1/health`)).json()) as { rules: { flow: FileHealth; degrade: FileHealth } }).rules;
  const replace = (name: string, text: string): void => {
    writeFileSync(join(rules, `${name}.tmp`), text);
    renameSync(join(rules, `${name}.tmp`), join(rules, name));
  };

  // At start-up there is no previous set.
  for (const type of ['flow', 'degrade']) {
    const l = await logged(`${type} rules not loaded`);
    t.same(
      [l.level, l.code, l.active, l.msg],
      [50, 'E_RULES_NOT_ARRAY', 0, `${type} rules not loaded: rules must be a JSON array of rule objects; no ${type} rules are in force until the file is fixed`],
    );
  }
  const atStart = await health();
  t.same([atStart.flow.error?.code, atStart.flow.active, atStart.degrade.error?.code, atStart.degrade.active], ['E_RULES_NOT_ARRAY', 0, 'E_RULES_NOT_ARRAY', 0]);

  // A good set, then a broken file: the previous rules stay, and say so.
  let mark = lines.length;
  replace('flow.json', JSON.stringify([{ resource: 'a', count: 10 }, { resource: 'b', count: 5 }]));
  replace('degrade.json', JSON.stringify([{ resource: 'p', grade: 2, count: 5, timeWindow: 10 }]));
  t.equal((await logged('flow rules loaded', mark)).active, 2);
  t.equal((await logged('degrade rules loaded', mark)).active, 1);
  mark = lines.length;
  replace('degrade.json', '{}');
  const degrade = await logged('degrade rules not loaded', mark);
  t.same([degrade.code, degrade.active, degrade.msg], ['E_RULES_NOT_ARRAY', 1, 'degrade rules not loaded: rules must be a JSON array of rule objects; the previous rule stays in force']);

  // A file half written (then completed in place): the half is reported, the previous 2 rules stay;
  // the rest, appended, loads the new set.
  const full = JSON.stringify([{ resource: 'c', count: 1 }]);
  const half = full.slice(0, 12);
  let jsonError = '';
  try {
    JSON.parse(half);
  } catch (err) {
    jsonError = (err as Error).message;
  }
  mark = lines.length;
  replace('flow.json', half);
  const partial = await logged('flow rules not loaded', mark);
  t.same([partial.level, partial.code, partial.active, partial.msg], [50, 'E_RULES_JSON', 2, `flow rules not loaded: rules are not valid JSON: ${jsonError}; the previous 2 rules stay in force`]);
  const during = await health();
  t.same([during.flow.error?.code, during.flow.active, during.degrade.error?.code, during.degrade.active], ['E_RULES_JSON', 2, 'E_RULES_NOT_ARRAY', 1]);
  mark = lines.length;
  appendFileSync(join(rules, 'flow.json'), full.slice(12));
  t.equal((await logged('flow rules loaded', mark)).active, 1, 'the completed file is loaded');
  const after = await health();
  t.same([after.flow.error, after.flow.active], [undefined, 1]);
});
