// The rule files in the pin: a changed file is read, its invalid rules refused alone; a file that
// is not JSON keeps the previous set and is reported (saying what stays in force); a half-written
// file loads once complete; a missing file is an empty set; save() writes atomically (0600) and is
// not read back as a change.

import t from 'tap';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { droppedBefore, inForceAfterError, RESOURCE_SHOWN_UNITS, RuleFiles } from '../../src/rules/rule-files.js';
import { RuleSetError, serializeRules } from '../../src/rules/rule-set.js';

t.test('reload: valid rules kept, invalid ones alone with their reason, bad JSON keeps the previous set', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  t.same(files.reload(1).map((c) => [c.type, c.status.active]), [['flow', 0], ['degrade', 0]], 'missing files: empty sets');
  t.same(files.reload(2), [], 'nothing changed');
  writeFileSync(join(dir, 'flow.json'), JSON.stringify([{ resource: 'a', count: 10 }, { resource: '', count: 1 }, { resource: 'b', count: 5, grade: 0 }]));
  const [c] = files.reload(3);
  t.same([c!.type, c!.status.active, c!.status.rejected.map((r) => [r.index, r.code])], ['flow', 2, [[1, 'E_RULE_RESOURCE']]]);
  t.same(files.rules('flow').map((r) => r.resource), ['a', 'b']);
  writeFileSync(join(dir, 'flow.json'), '[{"resource": "a", ');
  const [bad] = files.reload(4);
  t.same(bad!.status.error?.code, 'E_RULES_JSON');
  t.same(files.rules('flow').map((r) => r.resource), ['a', 'b'], 'the previous set stays');
  t.equal(files.statusOf('flow').active, 2);
  const saved = files.save('flow', JSON.stringify([{ resource: 'c', count: 1 }]), 5);
  t.same([saved.active, saved.rejected], [1, []]);
  t.equal(statSync(join(dir, 'flow.json')).mode & 0o777, 0o600);
  t.same(JSON.parse(readFileSync(join(dir, 'flow.json'), 'utf8')).map((r: { resource: string }) => r.resource), ['c']);
  t.same(files.reload(6), [], 'its own write is not a change');
  t.throws(() => files.save('flow', '{}', 7), { code: 'E_RULES_NOT_ARRAY' });
  t.same(files.rules('flow').map((r) => r.resource), ['c'], 'a refused push changes nothing');
  unlinkSync(join(dir, 'flow.json'));
  t.same(files.reload(8).map((x) => x.status.active), [0], 'a removed file: no rules');
});

t.test('an unusable file says what stays in force; a half-written file loads once complete', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  writeFileSync(join(dir, 'degrade.json'), '{}');
  const [, start] = files.reload(1);
  t.same([start!.status.error?.code, start!.status.active], ['E_RULES_NOT_ARRAY', 0]);
  t.equal(inForceAfterError(start!.status), 'no degrade rules are in force until the file is fixed');
  const full = JSON.stringify([{ resource: 'a', count: 1 }, { resource: 'b', count: 2 }, { resource: 'c', count: 3 }]);
  writeFileSync(join(dir, 'flow.json'), full);
  files.reload(2);
  writeFileSync(join(dir, 'flow.json'), full.slice(0, 20)); // what `cat > flow.json` leaves for a moment
  const [half] = files.reload(3);
  t.same([half!.status.error?.code, half!.status.active, files.rules('flow').length], ['E_RULES_JSON', 3, 3], 'reported; the 3 rules stay');
  t.equal(inForceAfterError(half!.status), 'the previous 3 rules stay in force');
  appendFileSync(join(dir, 'flow.json'), full.slice(20));
  const [done] = files.reload(4);
  t.same([done!.status.error, done!.status.active], [undefined, 3], 'the completed file is read again and loaded');
  t.equal(inForceAfterError({ ...done!.status, active: 1 }), 'the previous rule stays in force');
});

t.test('more than 2048 entries: a file keeps the previous set, a push is refused and writes nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  const two = JSON.stringify([{ resource: 'a', count: 1, timeWindow: 1 }, { resource: 'b', count: 1, timeWindow: 1 }]);
  writeFileSync(join(dir, 'degrade.json'), two);
  files.reload(1);
  writeFileSync(join(dir, 'degrade.json'), JSON.stringify(Array.from({ length: 30_001 }, (_, i) => ({ resource: `r${i}`, count: 1, timeWindow: 1 }))));
  const [big] = files.reload(2);
  t.same(big!.status.error, { code: 'E_RULES_TOO_MANY', reason: 'a degrade rule set may hold at most 2048 rules, got 30001' });
  t.same([big!.status.active, big!.status.activeBefore, files.rules('degrade').map((r) => r.resource)], [2, 2, ['a', 'b']], 'the previous 2 rules stay in force');
  t.equal(inForceAfterError(big!.status), 'the previous 2 rules stay in force');

  writeFileSync(join(dir, 'flow.json'), '[{"resource":"f","count":1}]');
  files.reload(3);
  const before = readFileSync(join(dir, 'flow.json'), 'utf8');
  t.throws(() => files.save('flow', JSON.stringify(Array.from({ length: 2049 }, () => 1)), 4), { code: 'E_RULES_TOO_MANY', message: 'a flow rule set may hold at most 2048 rules, got 2049' });
  t.equal(readFileSync(join(dir, 'flow.json'), 'utf8'), before, 'nothing written');
  t.same([files.rules('flow').map((r) => r.resource), files.statusOf('flow').active, files.statusOf('flow').error], [['f'], 1, undefined], 'nothing changed in force');
});

t.test('the status keeps the first 20 rejections (no rule as given) and counts them all; what an all-rejected set dropped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  t.same([files.statusOf('flow').rejected, files.statusOf('flow').rejectedTotal, files.statusOf('flow').activeBefore], [[], 0, 0], 'before any load');
  writeFileSync(join(dir, 'degrade.json'), JSON.stringify([{ resource: 'p', grade: 2, count: 1, timeWindow: 10 }]));
  t.same(files.reload(1)[1]!.status.activeBefore, 0);
  // The same breaker rule rewritten with "count":"1": every rule invalid, the set in force replaced (as Sentinel).
  writeFileSync(join(dir, 'degrade.json'), JSON.stringify([{ resource: 'p', grade: 2, count: '1', timeWindow: 10 }]));
  const [one] = files.reload(2);
  t.same(one!.status, { type: 'degrade', file: join(dir, 'degrade.json'), active: 0, activeBefore: 1, rejected: [{ index: 0, code: 'E_RULE_COUNT', reason: 'count must be a number ≥ 0, got "1"', resource: 'p' }], rejectedTotal: 1, lookalikes: [], lookalikesTotal: 0, loadedAtMs: 2 });
  t.equal(droppedBefore(one!.status.activeBefore), 'the 1 rule in force before is dropped');
  t.equal(files.rules('degrade').length, 0);
  // 2048 entries that are not rules, one of them huge: 20 kept, 2048 counted, the status stays small.
  const entries: unknown[] = Array.from({ length: 2048 }, () => 1);
  entries[3] = { resource: 'big', count: -1, timeWindow: 1, note: 'x'.repeat(200_000) };
  entries[4] = { resource: 'y'.repeat(5000), count: -1, timeWindow: 1 };
  entries[6] = { resource: `${'z'.repeat(79)}🚀🚀`, count: 1 };
  writeFileSync(join(dir, 'degrade.json'), JSON.stringify(entries));
  const [many] = files.reload(3);
  const s = many!.status;
  t.same([s.active, s.activeBefore, s.rejectedTotal, s.rejected.length], [0, 0, 2048, 20]);
  t.same(s.rejected.map((r) => r.index), Array.from({ length: 20 }, (_, i) => i), 'the first 20, in order');
  t.same(s.rejected[3], { index: 3, code: 'E_RULE_COUNT', reason: 'count must be a number ≥ 0, got -1', resource: 'big' }, 'index, code, reason and resource: not the rule as given');
  t.same(s.rejected[4], { index: 4, code: 'E_RULE_RESOURCE', reason: 'resource must be at most 1024 UTF-8 bytes (the longest name a filter records), got 5000', resource: `${'y'.repeat(RESOURCE_SHOWN_UNITS)}…` }, 'a long resource: its first 80 units');
  t.same(s.rejected[6]!.resource, `${'z'.repeat(79)}…`, 'not cut inside a surrogate pair (the 80th unit starts one)');
  t.same(s.rejected[0], { index: 0, code: 'E_RULE_NOT_OBJECT', reason: 'a rule must be a JSON object' });
  t.ok(JSON.stringify(s).length < 4000, `the status is small (20 reasons and resources of at most 81 units; not the 200 000-character rule): ${JSON.stringify(s).length} characters`);
  t.equal(droppedBefore(0), 'no rule was in force before');
  t.equal(droppedBefore(3), 'the 3 rules in force before are dropped');
});

t.test('lookalike fields: the status keeps the first 20 with their resources cut as a rejection\'s, and counts them all', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  // 22 rules in force, each with one misspelt field; rule 0's resource is 1 000 units long, rule 1's cut would fall inside a surrogate pair.
  const rules = Array.from({ length: 22 }, (_, i) => ({ resource: `r${i}`, count: 1, contolBehavior: 0 }));
  rules[0]!.resource = 'y'.repeat(1000);
  rules[1]!.resource = `${'z'.repeat(79)}🚀`;
  writeFileSync(join(dir, 'flow.json'), JSON.stringify(rules));
  const [change] = files.reload(1);
  const s = change!.status;
  t.same([s.active, s.rejectedTotal, s.lookalikes.length, s.lookalikesTotal], [22, 0, 20, 22]);
  t.same(s.lookalikes[0], { index: 0, resource: `${'y'.repeat(RESOURCE_SHOWN_UNITS)}…`, field: 'contolBehavior', like: 'controlBehavior' }, 'a long resource: its first 80 units');
  t.equal(s.lookalikes[1]!.resource, `${'z'.repeat(79)}…`, 'not cut inside a surrogate pair');
  t.same(s.lookalikes.slice(2).map((l) => [l.index, l.resource]), Array.from({ length: 18 }, (_, i) => [i + 2, `r${i + 2}`]), 'the first 20, in order, short resources whole');
  t.equal(files.rules('flow')[0]!.resource, 'y'.repeat(1000), 'the rule in force keeps its whole resource');
  // Fixed: none left, the total with them.
  writeFileSync(join(dir, 'flow.json'), JSON.stringify(rules.map(({ contolBehavior, ...r }) => r)));
  const [fixed] = files.reload(2);
  t.same([fixed!.status.lookalikes, fixed!.status.lookalikesTotal], [[], 0]);
});

t.test('save: a write that fails is E_RULES_WRITE naming the file and the OS error; nothing changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  files.save('degrade', JSON.stringify([{ resource: 'p', count: 1, timeWindow: 1 }]), 1);
  const statusBefore = files.statusOf('degrade');
  const path = join(dir, 'degrade.json');
  rmSync(path);
  mkdirSync(path); // what the repro does: the file cannot be replaced
  let err: unknown;
  try {
    files.save('degrade', JSON.stringify([{ resource: 'q', count: 1, timeWindow: 1 }]), 2);
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof RuleSetError, 'a RuleSetError');
  t.equal((err as RuleSetError).code, 'E_RULES_WRITE');
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  t.match((err as Error).message, new RegExp(`^cannot write ${escaped}: EISDIR: illegal operation on a directory, rename '${escaped}\\.tmp-[0-9a-f]{16}' -> '${escaped}'$`));
  t.same(files.rules('degrade').map((r) => r.resource), ['p'], 'the rules in force are unchanged');
  t.equal(files.statusOf('degrade'), statusBefore, 'and so is the status');
  t.same(readdirSync(dir), ['degrade.json'], 'no temp file left');
});

/** `[[…]]`, `levels` arrays deep, as JSON text. */
const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
const TOO_DEEP = { code: 'E_RULE_TOO_DEEP', reason: 'unknown field "x" nests arrays or objects more than 64 levels deep (an unknown field is kept and served back by /getRules: at most 64 levels)' };

t.test('a rule with an unknown field nested too deep: refused alone from a file and from a push; the rest loads, is written and serialises', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  for (const [at, levels] of [[1, 5_000], [2, 100_000]] as const) {
    writeFileSync(join(dir, 'flow.json'), `[{"resource":"a","count":1},{"resource":"r","count":1,"x":${nested(levels)}},{"resource":"b","count":2}]`);
    const [c] = files.reload(at);
    t.same([c!.status.error, c!.status.active, c!.status.rejected, c!.status.rejectedTotal], [undefined, 2, [{ index: 1, ...TOO_DEEP, resource: 'r' }], 1], `file, ${levels} levels`);
    t.same(JSON.parse(serializeRules('flow', files.rules('flow'))).map((r: { resource: string }) => r.resource), ['a', 'b'], 'what /getRules serves');
  }
  // The same set pushed: the deep rule refused alone (not E_RULES_WRITE), the others written and in force.
  const pushed = files.save('degrade', `[{"resource":"p","count":1,"timeWindow":1},{"resource":"r","count":1,"timeWindow":1,"x":${nested(100_000)}}]`, 3);
  t.same([pushed.active, pushed.rejected, pushed.error], [1, [{ index: 1, ...TOO_DEEP, resource: 'r' }], undefined], 'push');
  t.same(JSON.parse(readFileSync(join(dir, 'degrade.json'), 'utf8')).map((r: { resource: string }) => r.resource), ['p'], 'the file holds the rule in force');
  t.same(JSON.parse(serializeRules('degrade', files.rules('degrade'))).map((r: { resource: string }) => r.resource), ['p']);
});

t.test('a rules file starting with a UTF-8 byte order mark loads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  writeFileSync(join(dir, 'flow.json'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"resource":"GET /a","count":10}]')]));
  const [c] = files.reload(1);
  t.same([c!.status.error, c!.status.active, c!.status.rejected], [undefined, 1, []]);
  t.same(files.rules('flow').map((r) => r.resource), ['GET /a']);
  t.same(files.save('flow', '\uFEFF[{"resource":"GET /b","count":1}]', 2).active, 1, 'a pushed set too');
  t.equal(readFileSync(join(dir, 'flow.json'), 'utf8'), `${serializeRules('flow', files.rules('flow'))}\n`, 'written back without the mark');
});

t.test('an empty file keeps the rules in force (it may be a write just begun); [] or a removed file clears them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  const path = join(dir, 'flow.json');
  writeFileSync(path, '[{"resource":"a","count":1}]');
  files.reload(1);
  writeFileSync(path, '');
  const [empty] = files.reload(2);
  t.same([empty!.status.error, empty!.status.active, files.rules('flow').length], [{ code: 'E_RULES_JSON', reason: 'rules are not valid JSON: Unexpected end of JSON input' }, 1, 1]);
  writeFileSync(path, '[]');
  t.same(files.reload(3).map((c) => [c.status.error, c.status.active, c.status.activeBefore]), [[undefined, 0, 1]], '[] clears them');
  writeFileSync(path, '[{"resource":"a","count":1}]');
  files.reload(4);
  unlinkSync(path);
  t.same(files.reload(5).map((c) => [c.status.error, c.status.active, c.status.activeBefore]), [[undefined, 0, 1]], 'so does removing the file');
});
