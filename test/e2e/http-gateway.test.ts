// The http-gateway example: its HTTP face served by the Node host (its pool of reused instances),
// and its command face under both hosts. Answers are exact; the records in the pin add up to the
// requests (pass, success, exception per resource), read by the scanner and by msgpackr alike.

import { join } from 'node:path';
import t from 'tap';
import { RecordKind } from '@sentinel-wasi/protocol';
import { expectedTotals, gatewayRequests, totalsByResource, withoutRt } from '../helpers/gateway.js';
import { hostRunner, type HostName } from '../helpers/hosts.js';
import { startServe } from '../helpers/node-host.js';
import { exampleComponent, tempPin } from '../helpers/repo.js';
import { scanPin } from '../helpers/segments.js';

t.test('node serve: every request answered as the gateway decides, every record in the pin', async (t) => {
  const pin = await tempPin(t, 'gateway');
  const server = await startServe({ component: exampleComponent('http-gateway'), pin });
  t.teardown(() => server.stop());
  const requests = gatewayRequests(40);
  const answers: string[] = [];
  for (let i = 0; i < requests.length; i += 4) {
    // four at a time: concurrent instances appending to the same shared segment
    const batch = requests.slice(i, i + 4).map(async (r) => {
      const res = await fetch(`${server.url}${r.target}`, { method: r.method });
      return `${res.status} ${await res.text()}`;
    });
    answers.push(...(await Promise.all(batch)));
  }
  t.same(answers, requests.map((r) => `${r.status} ${r.body}`));
  const { code, stderr } = await server.stop();
  t.equal(code, 0);
  t.match(stderr, /stopped after 40 requests \(0 failed\)/);
  const scan = scanPin(pin);
  t.ok(scan.segments.every((f) => f.endsWith('-shared.seg')), scan.segments.join(', '));
  t.same({ skipped: scan.framesSkipped, incomplete: scan.incompleteTails, rejected: scan.recordsRejected }, { skipped: 0, incomplete: 0, rejected: 0 });
  t.same({ pass: scan.byKind[RecordKind.PASS], exit: scan.byKind[RecordKind.EXIT] }, { pass: 40, exit: 40 });
  t.same(withoutRt(totalsByResource(scan.aggregates)), expectedTotals(requests));
  t.same(totalsByResource(scan.msgpackrAggregates), totalsByResource(scan.aggregates), 'msgpackr reads the same records');
  t.same(
    scan.records.filter((r) => r.origin !== '').map((r) => `${r.name} ${r.origin}`),
    Array(20).fill('POST /api/orders app-a'),
    'PASS and EXIT of each POST carry its origin',
  );
});

for (const host of ['node', 'wasmtime'] as HostName[]) {
  t.test(`${host}: the command face answers one line per request and records them all`, async (t) => {
    const run = hostRunner(host);
    const pin = await tempPin(t, `gateway-cli-${host}`);
    const requests = gatewayRequests(60);
    const stdin = requests.map((r) => `${r.method} ${r.target}`).join('\n') + '\n# a comment\n\nnot-a-request\n';
    const result = await run({ component: exampleComponent('http-gateway', 'http-gateway-cli'), pin, stdin });
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout, requests.map((r) => `${r.status} ${r.resource}\n`).join(''));
    t.match(result.stderr, /line 63: expected "METHOD \/path\[\?query\]"/);
    const scan = scanPin(pin);
    t.same({ skipped: scan.framesSkipped, rejected: scan.recordsRejected }, { skipped: 0, rejected: 0 });
    t.same(withoutRt(totalsByResource(scan.aggregates)), expectedTotals(requests));
    t.same(totalsByResource(scan.msgpackrAggregates), totalsByResource(scan.aggregates));
  });
}

for (const pinState of ['missing', 'read-only'] as const) {
  t.test(`node serve: a ${pinState} pin fails no request; the host counts the requests that could not write`, async (t) => {
    const dir = await tempPin(t, 'gateway-pin');
    const pin = pinState === 'missing' ? join(dir, 'not-created') : dir;
    const server = await startServe({ component: exampleComponent('http-gateway'), pin, pinReadOnly: pinState === 'read-only' });
    t.teardown(() => server.stop());
    const requests = gatewayRequests(12);
    const answers: string[] = [];
    for (const r of requests) {
      const res = await fetch(`${server.url}${r.target}`, { method: r.method });
      answers.push(`${res.status} ${await res.text()}`);
    }
    t.same(answers, requests.map((r) => `${r.status} ${r.body}`), 'answered exactly as with a working pin');
    const { stderr } = await server.stop();
    const code = pinState === 'missing' ? 'no-entry' : 'not-permitted';
    t.match(stderr, new RegExp(`stopped after 12 requests \\(0 failed\\), \\d+ instances \\(pool of 4; 0 retired, 0 dropped after a trap\\); 12 requests could not write to the pin \\((\\d+) failed operations: ${code} \\1\\)`));
    // The SDK (a StarlingMonkey build) says its first failed append once per instance, with the engine's reason.
    const warnings = stderr.split('\n').filter((l) => l.startsWith('sentinel-wasi filter: '));
    t.ok(warnings.length >= 1 && warnings.length <= 4, `${warnings.length} warnings: one per instance that served`);
    t.same(
      [...new Set(warnings)],
      [`sentinel-wasi filter: writer "shared" could not append a frame of 2 records to the pin's log (the pin refused it: ${code}): records that cannot be written are dropped and counted (stats().recordsDropped; the collector is told in a WRITER record once a write succeeds); said once per recorder`],
    );
    t.same(scanPin(pin).segments, []);
  });
}
