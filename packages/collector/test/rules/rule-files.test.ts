// The rule files in the pin: a changed file is read, its invalid rules refused alone; a file that
// is not JSON keeps the previous set and is reported; a missing file is an empty set; save()
// writes atomically (0600) and is not read back as a change.

import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuleFiles } from '../../src/rules/rule-files.js';

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
