// /metric waits (briefly) for the last second of a dashboard window to be sealed, when the query
// can say how far sealing has come; otherwise it answers at once with what the log holds.
import t from 'tap';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpServer } from '../../src/http/server.js';
import { encodeIndexRecord } from '../../src/metriclog/layout.js';
import { formatFatLine, metricLogBaseName } from '../../src/metriclog/line.js';
import { line, writeMetricFile } from '../metriclog-read/fixture.js';
import { FixedStatsQuery, parseMetricBodyAsDashboard } from './fixed-query.js';

const T = 1764120000000;
const S = T / 1000;
const dir = mkdtempSync(join(tmpdir(), 'sw-wait-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, `${metricLogBaseName('w')}.2025-11-26`);
writeMetricFile(dir, `${metricLogBaseName('w')}.2025-11-26`, [line(T, 'a', 1), line(T + 1000, 'a', 2)]);

/** Seals second S+2 (appends its line and index record) as the collector would. */
function sealNext(): void {
  const offset = statSync(file).size;
  appendFileSync(file, formatFatLine(line(T + 2000, 'a', 3), 0));
  appendFileSync(file + '.idx', encodeIndexRecord(S + 2, offset));
}

class SealingQuery extends FixedStatsQuery {
  front = S + 1;
  polls = 0;
  sealedThroughSecAt(_nowMs: number): number {
    this.polls++;
    return this.front;
  }
}

t.test('a window whose last second is about to be sealed is answered complete', async (t) => {
  const query = new SealingQuery([]);
  const server = await startHttpServer({ query, app: 'w', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => T + 4000, metricWaitMs: 10_000 });
  t.teardown(() => server.close());
  const pending = fetch(`${server.url}/metric?startTime=${T}&endTime=${T + 2000}`).then((r) => r.text());
  setTimeout(() => {
    sealNext();
    query.front = S + 2;
  }, 100);
  const lines = parseMetricBodyAsDashboard(await pending);
  t.same(lines.map((l) => [l.timestamp - T, l.passQps]), [[0, 1], [1000, 2], [2000, 3]]);
  t.ok(query.polls >= 2, 'it polled the sealed front until it moved');
  const before = query.polls;
  t.equal(parseMetricBodyAsDashboard(await (await fetch(`${server.url}/metric?startTime=${T}&endTime=${T + 1000}`)).text()).length, 2);
  t.equal(query.polls, before + 1, 'an already sealed window is answered after one look');
});

t.test('the wait is bounded, and closing the server ends it', async (t) => {
  const query = new SealingQuery([]);
  query.front = S + 2;
  const server = await startHttpServer({ query, app: 'w', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => T + 9000, metricWaitMs: 200 });
  const r = await fetch(`${server.url}/metric?startTime=${T + 2000}&endTime=${T + 5000}`);
  t.equal(r.status, 200);
  t.same(parseMetricBodyAsDashboard(await r.text()).map((l) => l.timestamp - T), [2000], 'after the wait: what the log holds');

  const slow = await startHttpServer({ query, app: 'w', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => T + 9000, metricWaitMs: 3_600_000 });
  const waiting = fetch(`${slow.url}/metric?startTime=${T + 2000}&endTime=${T + 5000}`).then((res) => res.text());
  await new Promise((resolve) => setTimeout(resolve, 50));
  await Promise.all([slow.close(), server.close()]);
  t.same(parseMetricBodyAsDashboard(await waiting).map((l) => l.timestamp - T), [2000], 'an hour-long wait ended by close');
});

t.test('without sealedThroughSecAt there is no wait', async (t) => {
  const server = await startHttpServer({ query: new FixedStatsQuery([]), app: 'w', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => T, metricWaitMs: 3_600_000 });
  t.teardown(() => server.close());
  t.equal(parseMetricBodyAsDashboard(await (await fetch(`${server.url}/metric?startTime=${T}&endTime=${T + 9000}`)).text()).length, 3);
});
