// A rule whose unknown field nests arrays 5 000 or 100 000 levels deep, on a real server over
// 127.0.0.1 with real rule files: from the rules file and from a /setRules push alike it is
// refused alone (E_RULE_TOO_DEEP, the rest applied; never E_RULES_WRITE for a file never written),
// and /getRules keeps answering 200 with the other rules. A pushed set starting with a UTF-8 byte
// order mark is taken, as Sentinel takes it.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { ask, FORM, rulesServer, TOKEN } from './rules-server.js';

const server = await rulesServer(t);
const { port, files } = server;
const push = (body: string) => ask(port, 'POST', '/setRules', { 'content-type': FORM, authorization: `Bearer ${TOKEN}` }, body);
const getFlowRules = async (): Promise<[number, string[]]> => {
  const r = await ask(port, 'GET', '/getRules?type=flow');
  return [r.status, r.status === 200 ? JSON.parse(r.body).map((x: { resource: string }) => x.resource) : [r.body]];
};

/** The set the finding gives: a good rule, the deep one, another good rule. */
const withDeepRule = (levels: number): string => `[{"resource":"a","count":1},{"resource":"r","count":1,"x":${'['.repeat(levels)}${']'.repeat(levels)}},{"resource":"b","count":2}]`;
const REFUSED = 'partial success: 2 rule(s) in force, 1 rejected: rule 1: E_RULE_TOO_DEEP: unknown field "x" nests arrays or objects more than 64 levels deep (an unknown field is kept and served back by /getRules: at most 64 levels)';

t.test('from the rules file: the deep rule refused alone, /getRules answers 200 with the others', async (t) => {
  for (const levels of [5_000, 100_000]) {
    writeFileSync(files.pathOf('flow'), withDeepRule(levels));
    const [c] = files.reload(Date.now());
    t.same([c!.status.active, c!.status.rejected.map((r) => r.code)], [2, ['E_RULE_TOO_DEEP']], `${levels} levels`);
    t.same(await getFlowRules(), [200, ['a', 'b']], `${levels} levels: /getRules`);
  }
});

t.test('from a /setRules push: partial success naming the deep rule, the others written and served', async (t) => {
  // As the dashboard encodes it (5 000 levels), and encoded once (100 000 levels: under the 1 MiB body cap).
  const bodies: Array<[string, string]> = [
    ['5000 levels, encoded twice', `type=flow&data=${encodeURIComponent(encodeURIComponent(withDeepRule(5_000)))}`],
    ['100000 levels, encoded once', `type=flow&data=${encodeURIComponent(withDeepRule(100_000))}`],
  ];
  for (const [what, body] of bodies) {
    files.save('flow', '[]', Date.now());
    const r = await push(body);
    t.same([r.status, r.body], [200, REFUSED], what);
    t.same(JSON.parse(server.flowFile()!).map((x: { resource: string }) => x.resource), ['a', 'b'], `${what}: the file written holds the others`);
    t.same(await getFlowRules(), [200, ['a', 'b']], `${what}: /getRules`);
  }
});

t.test('a pushed set starting with a UTF-8 byte order mark is taken', async (t) => {
  const r = await push(`type=flow&data=${encodeURIComponent(encodeURIComponent('\uFEFF[{"resource":"GET /bom","count":3}]'))}`);
  t.same([r.status, r.body], [200, 'success']);
  t.same(await getFlowRules(), [200, ['GET /bom']]);
});
