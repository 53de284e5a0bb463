// What the daemon reports about rule sets, and how much: a set of more than 2048 entries is not
// loaded (the previous set stays, one error line); a set that leaves no rule in force is a warning
// saying what it dropped; at most 20 rejected rules are logged one by one, then one line with how
// many more, and health keeps 20 (no rule as given) and the count; a /setRules push that cannot be
// written is answered E_RULES_WRITE and logged; a breaker's transition line carries its cause and value.
import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bucketSecOf, RecordKind } from '@sentinel-wasi/protocol';
import { runDaemon } from '../../src/daemon/run.js';
import { ensurePin } from '../../src/pin/pin.js';
import { captureLog } from './log-capture.js';
import { appendEvents } from './helpers.js';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

interface FileHealth {
  active: number;
  activeBefore: number;
  rejected: Array<Record<string, unknown>>;
  rejectedTotal: number;
  error?: { code: string; reason: string };
}

async function daemonOnPin(t: Test, name: string, degrade: unknown) {
  const pin = mkdtempSync(join(tmpdir(), `sw-${name}-`));
  ensurePin(pin, 'rules');
  const rules = join(pin, 'rules');
  writeFileSync(join(rules, 'degrade.json'), JSON.stringify(degrade));
  const { logger, lines, logged } = captureLog<LogLine>();
  const daemon = await runDaemon({ pinDir: pin, logger, graceMs: 100, tickMs: 50, host: '127.0.0.1', port: 0, token: 'tok' });
  t.teardown(async () => {
    await daemon.stop();
    rmSync(pin, { recursive: true, force: true });
  });
  const replace = (text: string): void => {
    writeFileSync(join(rules, 'degrade.json.tmp'), text);
    renameSync(join(rules, 'degrade.json.tmp'), join(rules, 'degrade.json'));
  };
  const healthText = async (): Promise<string> => (await fetch(`${daemon.url}/api/v1/health`)).text();
  const degradeHealth = async (): Promise<FileHealth> => (JSON.parse(await healthText()) as { rules: { degrade: FileHealth } }).rules.degrade;
  return { pin, rules, lines, daemon, logged, replace, healthText, degradeHealth };
}

const breaker = { resource: 'p', grade: 2, count: 1, timeWindow: 10 };

t.test('rule files: too many entries, every rule rejected, rejections bounded in the log and in health', async (t) => {
  const d = await daemonOnPin(t, 'rule-reports', [breaker]);
  t.equal((await d.logged('degrade rules loaded')).active, 1);

  // 1. More than 2048 entries: not loaded, the previous rule stays.
  let mark = d.lines.length;
  d.replace(JSON.stringify(Array.from({ length: 30_001 }, (_, i) => ({ ...breaker, resource: `r${i}` }))));
  const tooMany = await d.logged('degrade rules not loaded', mark);
  t.same(
    [tooMany.level, tooMany.code, tooMany.active, tooMany.msg],
    [50, 'E_RULES_TOO_MANY', 1, 'degrade rules not loaded: a degrade rule set may hold at most 2048 rules, got 30001; the previous rule stays in force'],
  );
  const h1 = await d.degradeHealth();
  t.same([h1.active, h1.error], [1, { code: 'E_RULES_TOO_MANY', reason: 'a degrade rule set may hold at most 2048 rules, got 30001' }]);

  // 2. The same breaker rule rewritten with "count":"1": it replaces the rule in force, at warn level, saying so.
  mark = d.lines.length;
  d.replace(JSON.stringify([{ ...breaker, count: '1' }]));
  const dropped = await d.logged('degrade rules loaded', mark);
  t.same(
    [dropped.level, dropped.active, dropped.rejected, dropped.activeBefore, dropped.msg],
    [40, 0, 1, 1, 'degrade rules loaded: 0 in force, 1 rejected; the 1 rule in force before is dropped'],
  );
  const rejectedLine = await d.logged('degrade rule 0 (resource "p") rejected', mark);
  t.same([rejectedLine.level, rejectedLine.code, rejectedLine.index, rejectedLine.resource, rejectedLine.msg], [40, 'E_RULE_COUNT', 0, 'p', 'degrade rule 0 (resource "p") rejected: count must be a number ≥ 0, got "1"']);
  const h2 = await d.degradeHealth();
  t.same(h2, { ...h2, active: 0, activeBefore: 1, rejectedTotal: 1, rejected: [{ index: 0, code: 'E_RULE_COUNT', reason: 'count must be a number ≥ 0, got "1"', resource: 'p' }] });
  t.notOk('error' in h2, 'loaded: no error');
  t.same(JSON.parse(await (await fetch(`${d.daemon.url}/getRules?type=degrade`)).text()), [], 'no breaker left');

  // 3. 2048 entries that are not rules (one a large object): 20 lines one by one, then one line; health keeps 20.
  const entries: unknown[] = Array.from({ length: 2048 }, () => 1);
  entries[5] = { resource: 'big', count: -1, timeWindow: 1, note: 'x'.repeat(100_000) };
  mark = d.lines.length;
  d.replace(JSON.stringify(entries));
  const more = await d.logged('degrade rules: ', mark);
  t.same([more.level, more.rejected, more.notLogged, more.msg], [40, 2048, 2028, 'degrade rules: 2028 more rejected, not logged one by one']);
  const after = d.lines.slice(mark).filter((l) => l.msg.startsWith('degrade rule'));
  const oneByOne = after.filter((l) => /^degrade rule \d+ (\(resource [^)]*\) )?rejected/.test(l.msg));
  t.equal(oneByOne.length, 20, 'exactly 20 rejected rules logged one by one');
  t.same(oneByOne.map((l) => l.index), Array.from({ length: 20 }, (_, i) => i));
  t.equal(oneByOne[5]!.msg, 'degrade rule 5 (resource "big") rejected: count must be a number ≥ 0, got -1');
  t.equal(oneByOne[4]!.msg, 'degrade rule 4 rejected: a rule must be a JSON object', 'a rule that names no resource');
  t.same(after.find((l) => l.msg.startsWith('degrade rules loaded'))?.msg, 'degrade rules loaded: 0 in force, 2048 rejected; no rule was in force before');
  t.equal(after.length, 22, 'degrade lines: the load, 20 rejected rules, one line for the rest');
  const text = await d.healthText();
  t.ok(text.length < 20_000, `health stays small: ${text.length} bytes`);
  const h3 = (JSON.parse(text) as { rules: { degrade: FileHealth } }).rules.degrade;
  t.same([h3.active, h3.rejectedTotal, h3.rejected.length], [0, 2048, 20]);
  t.same(h3.rejected[5], { index: 5, code: 'E_RULE_COUNT', reason: 'count must be a number ≥ 0, got -1', resource: 'big' }, 'no rule as given: its resource');
});

t.test('/setRules through the daemon: refused pushes are logged; a file that cannot be written is E_RULES_WRITE', async (t) => {
  const d = await daemonOnPin(t, 'rule-push', [breaker]);
  await d.logged('degrade rules loaded');
  const push = async (data: string): Promise<[number, string]> => {
    const r = await fetch(`${d.daemon.url}/setRules`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer tok' },
      body: `type=degrade&data=${encodeURIComponent(encodeURIComponent(data))}`,
    });
    return [r.status, await r.text()];
  };

  let mark = d.lines.length;
  t.same(await push('[{'), [400, `rules are not valid JSON: ${jsonError('[{')} (E_RULES_JSON); the rules in force are unchanged`]);
  const bad = await d.logged('degrade rules pushed over /setRules', mark);
  t.same([bad.level, bad.code, bad.active, bad.msg], [40, 'E_RULES_JSON', 1, `degrade rules pushed over /setRules not applied: rules are not valid JSON: ${jsonError('[{')}; the rules in force are unchanged`]);

  // The repro: a directory where the rules file goes.
  const path = join(d.rules, 'degrade.json');
  rmSync(path);
  mkdirSync(path);
  mark = d.lines.length;
  const [status, body] = await push(JSON.stringify([{ ...breaker, resource: 'q' }]));
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const osError = `EISDIR: illegal operation on a directory, rename '${escaped}\\.tmp-[0-9a-f]{16}' -> '${escaped}'`;
  t.equal(status, 400);
  t.match(body, new RegExp(`^cannot write ${escaped}: ${osError} \\(E_RULES_WRITE\\); the rules in force are unchanged$`));
  const write = await d.logged('degrade rules pushed over /setRules', mark);
  t.same([write.level, write.code, write.file, write.active], [50, 'E_RULES_WRITE', path, 1]);
  t.match(write.msg, new RegExp(`^degrade rules pushed over /setRules not applied: cannot write ${escaped}: ${osError}; the rules in force are unchanged$`));
  t.same(JSON.parse(await (await fetch(`${d.daemon.url}/getRules?type=degrade`)).text()).map((r: { resource: string }) => r.resource), ['p'], 'the rule in force stays');

  // Refused before its rules are read (no data, no such type, data that does not decode): logged too.
  const form = async (body: string): Promise<[number, string]> => {
    const r = await fetch(`${d.daemon.url}/setRules`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer tok' }, body });
    return [r.status, await r.text()];
  };
  for (const [body, answer, code, text] of [
    ['type=degrade', 'Bad data (E_RULES_DATA)', 'E_RULES_DATA', 'Bad data'],
    ['type=nope&data=x', 'invalid type (E_RULES_TYPE)', 'E_RULES_TYPE', 'invalid type'],
    ['type=degrade&data=%25ZZ', 'decode rule data error (E_RULES_DECODE)', 'E_RULES_DECODE', 'decode rule data error'],
  ] as const) {
    mark = d.lines.length;
    t.same(await form(body), [400, answer], body);
    const l = await d.logged('rules pushed over /setRules', mark);
    t.same([l.level, l.code, l.msg], [40, code, `rules pushed over /setRules not applied: ${text}; the rules in force are unchanged`], body);
  }

  // A push that leaves no rule in force: the answer and the log line say what it dropped.
  rmSync(path, { recursive: true });
  mark = d.lines.length;
  t.same(await push(JSON.stringify([{ ...breaker, count: '1' }])), [200, 'partial success: 0 rule(s) in force, 1 rejected (the 1 rule in force before is dropped): rule 0: E_RULE_COUNT: count must be a number ≥ 0, got "1"']);
  const dropped = await d.logged('degrade rules loaded', mark);
  t.same([dropped.level, dropped.msg], [40, 'degrade rules loaded: 0 in force, 1 rejected; the 1 rule in force before is dropped']);
});

t.test('an unknown field that looks like a misspelt one: a warning per field, in health, from a file and from a push; /setRules still answers success', async (t) => {
  const d = await daemonOnPin(t, 'rule-lookalike', [{ ...breaker, timeWindw: 30 }, { ...breaker, resource: 'q', app: 'shop', ip: '10.0.0.1' }]);
  const line = await d.logged('degrade rule 0 (resource "p"): unknown field');
  t.same([line.level, line.code, line.index, line.resource, line.field, line.msg], [40, 'E_RULE_FIELD_LOOKALIKE', 0, 'p', 'timeWindw', 'degrade rule 0 (resource "p"): unknown field "timeWindw" is kept but does nothing; did you mean "timeWindow"?']);
  const atStart = (await d.degradeHealth()) as unknown as { lookalikes: unknown; lookalikesTotal: number };
  t.same([atStart.lookalikes, atStart.lookalikesTotal], [[{ index: 0, resource: 'p', field: 'timeWindw', like: 'timeWindow' }], 1]);
  t.equal(d.lines.filter((l) => l.code === 'E_RULE_FIELD_LOOKALIKE').length, 1, 'app and ip are the dashboard\'s fields, not lookalikes');

  const mark = d.lines.length;
  const r = await fetch(`${d.daemon.url}/setRules`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer tok' },
    body: `type=degrade&data=${encodeURIComponent(encodeURIComponent(JSON.stringify([{ ...breaker, MinRequestAmount: 2 }])))}`,
  });
  t.same([r.status, await r.text()], [200, 'success'], 'the answer the dashboard expects');
  const pushed = await d.logged('degrade rule 0 (resource "p"): unknown field', mark);
  t.equal(pushed.msg, 'degrade rule 0 (resource "p"): unknown field "MinRequestAmount" is kept but does nothing; did you mean "minRequestAmount"?');
  t.same((await d.degradeHealth() as unknown as { lookalikes: unknown }).lookalikes, [{ index: 0, resource: 'p', field: 'MinRequestAmount', like: 'minRequestAmount' }]);
});

t.test('more than 20 lookalike fields: 20 lines with resources cut at 80 units, one line with how many more, health counts them all', async (t) => {
  const rules = Array.from({ length: 23 }, (_, i) => ({ ...breaker, resource: `${'q'.repeat(100)}${i}`, timeWindw: 30 }));
  const d = await daemonOnPin(t, 'rule-lookalikes-many', rules);
  const more = await d.logged('degrade rules: 3 more unknown fields');
  t.same([more.level, more.code, more.lookalikes, more.notLogged, more.msg], [40, 'E_RULE_FIELD_LOOKALIKE', 23, 3, 'degrade rules: 3 more unknown fields that look like misspelt ones, not logged one by one']);
  const each = d.lines.filter((l) => l.code === 'E_RULE_FIELD_LOOKALIKE' && l.index !== undefined);
  t.same(each.map((l) => l.index), Array.from({ length: 20 }, (_, i) => i), 'one line for each of the first 20');
  t.equal(each[0]!.msg, `degrade rule 0 (resource "${'q'.repeat(80)}…"): unknown field "timeWindw" is kept but does nothing; did you mean "timeWindow"?`);
  const h = (await d.degradeHealth()) as unknown as { active: number; lookalikes: Array<{ resource: string }>; lookalikesTotal: number };
  t.same([h.active, h.lookalikes.length, h.lookalikesTotal, h.lookalikes[19]!.resource], [23, 20, 23, `${'q'.repeat(80)}…`]);
});

t.test('a circuit breaker transition is logged with its cause, value and average RT', async (t) => {
  // Exception count: one error in a bucket (count 0) opens it; timeWindow 1 s, then it half-opens.
  const d = await daemonOnPin(t, 'breaker-log', [{ resource: 'p', grade: 2, count: 0, minRequestAmount: 1, statIntervalMs: 1000, timeWindow: 1 }]);
  await d.logged('degrade rules loaded');
  const now = Date.now();
  appendEvents(d.pin, bucketSecOf(now), 'w1', [{ kind: RecordKind.CALL, tsMs: now, name: 'p', rtMs: 7, error: true }]);
  const opened = await d.logged('circuit breaker');
  const { time: _t, pid: _p, hostname: _h, ...fields } = opened;
  t.same(fields, { level: 30, resource: 'p', from: 'CLOSED', to: 'OPEN', cause: 'threshold', value: 1, avgRtMs: 7, msg: 'circuit breaker' });
  const retry = await d.logged('circuit breaker', d.lines.indexOf(opened) + 1);
  t.same([retry.from, retry.to, retry.cause, retry.value, retry.avgRtMs], ['OPEN', 'HALF_OPEN', 'retry', 0, 0]);
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}
