// End to end, real processes: a QPS rule of 40 on one route of the http-gateway (served by the
// Node host) under a collector process, 200 requests/s offered for 15 s to that route and 20/s to
// another. After 3 s the admitted (200) rate of the limited route averages 40/s within ±5 %,
// counted over the window its own answers span; every other answer is a 429; the other route is
// never refused; the filter recorded a BLOCK for every 429 (the collector's counts).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/repo.js';
import { offer, serveGateway, startCollector, waitFor } from './flow-support.js';

t.test('QPS rule 40 on GET /limited: 200/s offered, 40/s admitted (±5 %), the rest 429, GET /free untouched', async (t) => {
  const pin = await tempDir(t, 'flow-qps');
  mkdirSync(join(pin, 'rules'), { recursive: true, mode: 0o700 });
  writeFileSync(join(pin, 'rules', 'flow.json'), JSON.stringify([{ resource: 'GET /limited', count: 40, grade: 1 }]));
  const collector = await startCollector(pin);
  t.teardown(() => collector.stop());
  const server = await serveGateway(pin);
  t.teardown(() => server.stop());
  // Warm the instance (first request compiles) before the measured run.
  await offer(server.url, { '/free': 20 }, 500);

  const answers = await offer(server.url, { '/limited': 200, '/free': 20 }, 15_000);
  const limited = answers.filter((a) => a.path === '/limited');
  const free = answers.filter((a) => a.path === '/free');
  t.same(limited.filter((a) => a.status !== 200 && a.status !== 429).map((a) => `${a.status} at ${a.sentMs} ms: ${a.body.slice(0, 80)}`), [], 'every limited answer is 200 or 429 (status 0: the request failed)');
  t.ok(limited.filter((a) => a.status === 429).every((a) => a.body === 'blocked by flow control\n'), '429 with its short body');
  t.same([...new Set(free.map((a) => a.status))], [200], 'the other route is never refused');

  const settled = limited.filter((a) => a.sentMs >= 3000);
  const admitted = settled.filter((a) => a.status === 200);
  const fromMs = Math.min(...settled.map((a) => a.answeredMs));
  const toMs = Math.max(...settled.map((a) => a.answeredMs));
  const perSec = admitted.length / ((toMs - fromMs) / 1000);
  const offeredPerSec = settled.length / ((toMs - fromMs) / 1000);
  t.comment(`after 3 s: ${admitted.length} admitted of ${settled.length} over ${toMs - fromMs} ms = ${perSec.toFixed(2)}/s admitted, ${offeredPerSec.toFixed(1)}/s answered`);
  t.ok(offeredPerSec > 80, `the route was overloaded (${offeredPerSec.toFixed(1)}/s answered)`);
  t.ok(Math.abs(perSec - 40) <= 2, `admitted ${perSec.toFixed(2)}/s within 40 ± 5 %`);

  // The filter recorded a BLOCK for every 429 and a PASS for every 200 (once the collector read them).
  const blocked = limited.filter((a) => a.status === 429).length;
  const passed = limited.filter((a) => a.status === 200).length;
  const totals = await waitFor('the collector to count every answer (minute window)', async () => {
    const body = (await (await fetch(`${collector.url}/clusterNodeById?id=${encodeURIComponent('GET /limited')}`)).json()) as { oneMinutePass?: number; oneMinuteBlock?: number };
    return body.oneMinutePass === passed && body.oneMinuteBlock === blocked ? body : undefined;
  }, 30_000);
  t.same([totals.oneMinutePass, totals.oneMinuteBlock], [passed, blocked], 'a PASS per 200 and a BLOCK per 429');
  const { code } = await server.stop();
  t.equal(code, 0);
});
