// Rules files are read only as regular files of their own: a link (to a FIFO, /dev/zero or a file
// outside the pin), a FIFO, a hard link to another file and an oversized file are each refused
// with their code at once (no wait, no unbounded read), the set in force stays, and no message
// quotes a refused file's bytes.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRuleFile } from '../../src/rules/rule-file-read.js';
import { RuleFiles } from '../../src/rules/rule-files.js';
import { parseRules } from '../../src/rules/rule-set.js';

function setUp(t: typeof import("tap").default): { dir: string; files: RuleFiles; flow: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefile-read-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  const flow = join(dir, 'flow.json');
  writeFileSync(flow, JSON.stringify([{ resource: 'a', count: 10 }]));
  t.same(files.reload(1).map((c) => c.status.active), [1, 0]);
  return { dir, files, flow };
}

t.test('what is at a rules file\'s name that is not a regular file of its own: refused, the set in force stays', async (t) => {
  const { dir, files, flow } = setUp(t);
  const outside = join(dir, 'outside-secret');
  writeFileSync(outside, 'root:$6$secret:19000:0:99999:7:::\n');
  const cases: Array<[string, () => void, string, RegExp]> = [
    ['a link to a file outside', () => symlinkSync(outside, flow), 'E_RULES_NOT_FILE', /is a symbolic link/],
    ['a link to /dev/zero', () => symlinkSync('/dev/zero', flow), 'E_RULES_NOT_FILE', /is a symbolic link/],
    ['a FIFO', () => execFileSync('mkfifo', [flow]), 'E_RULES_NOT_FILE', /not a regular file/],
    ['a hard link to another file', () => linkSync(outside, flow), 'E_RULES_NOT_FILE', /has 2 hard links/],
    ['a file over the size limit', () => writeFileSync(flow, Buffer.alloc(4 * 1024 * 1024 + 1, 0x20)), 'E_RULES_TOO_LARGE', /is 4194305 bytes, over the 4194304/],
  ];
  let at = 2;
  for (const [name, make, code, reason] of cases) {
    unlinkSync(flow);
    make();
    const started = Date.now();
    const [c] = files.reload(at++);
    t.ok(Date.now() - started < 2000, `${name}: answered at once`);
    t.equal(c?.status.error?.code, code, name);
    t.match(c?.status.error?.reason, reason, name);
    t.notMatch(c?.status.error?.reason, /secret|root:/, `${name}: no byte of the file in the reason`);
    t.same(files.rules('flow').map((r) => r.resource), ['a'], `${name}: the rule in force stays`);
  }
  unlinkSync(flow);
  writeFileSync(flow, JSON.stringify([{ resource: 'b', count: 1 }]));
  t.same(files.reload(at).map((c) => [c.status.active, c.status.error]), [[1, undefined]], 'a regular file again: loaded');
});

t.test('readRuleFile reads a regular file whole, up to its limit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rulefile-read-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const p = join(dir, 'degrade.json');
  writeFileSync(p, 'x'.repeat(100));
  t.equal(readRuleFile(p, 100), 'x'.repeat(100));
  t.throws(() => readRuleFile(p, 99), { code: 'E_RULES_TOO_LARGE' });
  writeFileSync(p, '');
  t.equal(readRuleFile(p), '');
  t.throws(() => readRuleFile(join(dir, 'absent.json')), { code: 'E_RULES_READ' });
});

t.test('a trailing comma is named as such (a structural character is no secret)', async (t) => {
  t.throws(() => parseRules('flow', '[{"resource":"a","count":1},]'), { code: 'E_RULES_JSON', message: "rules are not valid JSON: Unexpected token ']' (a trailing comma?)" });
  t.throws(() => parseRules('flow', '[1,,2]'), { code: 'E_RULES_JSON', message: "rules are not valid JSON: Unexpected token ','" });
});

t.test('a JSON error never quotes the text it was given', async (t) => {
  for (const text of ['root:x:0:0:root:/root:/bin/bash', 'SHELL=/bin/bash', '"SHELL=/bin/bash', '["SHELL=/bin/bash" x]']) {
    let reason = '';
    try {
      parseRules('flow', text);
    } catch (e) {
      reason = (e as Error).message;
    }
    t.match(reason, /^rules are not valid JSON: /);
    t.notMatch(reason, /root|SHELL|bash/, reason);
  }
});
