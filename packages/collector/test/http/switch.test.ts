// getSwitch / setSwitch over loopback: reading the switch needs nothing; setting it needs the token
// (as setRules: by GET or a POSTed form, HEAD refused), takes only true or false, and reaches the
// daemon's switch; a server without rules cannot set it.
import t from 'tap';
import { startHttpServer } from '../../src/http/server.js';
import { FixedStatsQuery } from './fixed-query.js';
import { ask, FORM, rulesServer, TOKEN } from './rules-server.js';

const bearer = { authorization: `Bearer ${TOKEN}` };

t.test('getSwitch reads it; setSwitch with the token sets it', async (t) => {
  const s = await rulesServer(t);
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await ask(s.port, 'GET', path, headers);
    return [r.status, r.body];
  };
  t.same(await get('/getSwitch'), [200, 'Sentinel switch value: true']);
  const none = await ask(s.port, 'GET', '/setSwitch?value=false');
  t.same([none.status, s.switchOn()], [401, true], 'no token: refused, unchanged');
  t.same((await ask(s.port, 'GET', '/setSwitch?value=false', { authorization: 'Bearer nope' })).status, 403);
  t.same(await get('/setSwitch?value=false', bearer), [200, 'Sentinel set switch value: false']);
  t.equal(s.switchOn(), false);
  t.same(await get('/getSwitch'), [200, 'Sentinel switch value: false']);
  t.same(await get('/setSwitch?value=maybe', bearer), [400, 'bad argument: value must be true or false, not "maybe" (E_PARAM_SWITCH)']);
  t.same(await get('/setSwitch', bearer), [400, 'bad argument: value must be true or false, not "" (E_PARAM_SWITCH)'], 'no value: refused (Sentinel would read it as false)');
  t.equal(s.switchOn(), false, 'a bad value changes nothing');
  const posted = await ask(s.port, 'POST', '/setSwitch', { ...bearer, 'content-type': FORM }, 'value=TRUE');
  t.same([posted.status, posted.body, s.switchOn()], [200, 'Sentinel set switch value: true', true], 'a POSTed form, any case');
  const head = await ask(s.port, 'HEAD', '/setSwitch?value=false', bearer);
  t.same([head.status, s.switchOn()], [405, true], 'HEAD changes nothing');
});

t.test('a server without rules: getSwitch says on, setSwitch cannot set it', async (t) => {
  const s = await startHttpServer({ query: new FixedStatsQuery([]), app: 'a', metricDir: '/nonexistent', host: '127.0.0.1', port: 0, nowMs: () => 0, token: TOKEN });
  t.teardown(() => s.close());
  const port = Number(new URL(s.url).port);
  t.same(await ask(port, 'GET', '/getSwitch').then((r) => [r.status, r.body]), [200, 'Sentinel switch value: true']);
  t.same(await ask(port, 'GET', '/setSwitch?value=false', bearer).then((r) => [r.status, r.body]), [503, 'rules are not loaded by this collector (E_NO_RULES)']);
});
