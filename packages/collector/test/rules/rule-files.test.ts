// The rule files in the pin: a changed file is read, its invalid rules refused alone; a file that
// is not JSON keeps the previous set and is reported (saying what stays in force); a half-written
// file loads once complete; a missing file is an empty set; save() writes atomically (0600) and is
// not read back as a change.

import t from 'tap';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inForceAfterError, RuleFiles } from '../../src/rules/rule-files.js';

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
