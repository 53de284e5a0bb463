// The gateway, run for real: its HTTP component on one reused instance over 127.0.0.1 (jco
// transpile + preview2-shim's HTTP server), its command face, and its decision logic (429 when a
// verdict rejects) against an in-memory host.

import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordKind, type FlowEvent } from '@sentinel-wasi/protocol';
import { buildExamples, readSegments, runCommand, serveHttp, REPO } from '../../../packages/filter/test/component-runner.js';
import { MemoryHost, T0, decodeSegment, writeMap } from '../../../packages/filter/test/fake-host.js';
import { Sentinel } from '../../../packages/filter/src/sentinel.js';
import { mapEpochOf, VerdictKind } from '@sentinel-wasi/protocol/encode';
import { handleRequest, MAX_NAME_BYTES, splitTarget } from '../src/gateway.js';

const DIST = join(REPO, 'examples', 'http-gateway', 'dist');

buildExamples('http-gateway');

function pin(): string {
  return mkdtempSync(join(tmpdir(), 'sw-gateway-'));
}

function allEvents(dir: string): FlowEvent[] {
  return [...readSegments(dir).values()].flatMap((d) => d.events);
}

function summary(events: FlowEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    const key = `${['PASS', 'BLOCK', 'EXIT', 'CALL'][e.kind] ?? e.kind} ${e.name}${'error' in e && e.error ? ' error' : ''}${'origin' in e && e.origin ? ` <${e.origin}>` : ''}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

t.test('HTTP: 200, 500 with fail=1, resources "<METHOD> <path>", entry and exit per request', async (t) => {
  const dir = pin();
  const server = await serveHttp(join(DIST, 'http-gateway.wasm'), dir);
  t.teardown(() => server.stop());
  const got: string[] = [];
  for (let i = 0; i < 12; i++) {
    const path = i % 4 === 3 ? '/orders?fail=1' : i % 4 === 2 ? '/orders?origin=app-a' : '/items/7';
    const res = await fetch(`${server.url}${path}`, { method: i % 2 === 0 ? 'GET' : 'POST' });
    got.push(`${res.status} ${(await res.text()).trim()}`);
  }
  t.same(got.slice(0, 4), ['200 ok', '200 ok', '200 ok', '500 failed (fail=1)']);
  t.equal(got.filter((g) => g.startsWith('500')).length, 3);
  // The origin from the x-sentinel-origin header, before the query parameter.
  const withHeader = await fetch(`${server.url}/items/9?origin=from-query`, { headers: { 'x-sentinel-origin': 'app-h' } });
  t.equal(withHeader.status, 200);
  await withHeader.text();
  await server.stop();
  const events = allEvents(dir);
  t.same(summary(events), {
    'PASS GET /items/7': 3,
    'EXIT GET /items/7': 3,
    'PASS POST /items/7': 3,
    'EXIT POST /items/7': 3,
    'PASS GET /orders <app-a>': 3,
    'EXIT GET /orders <app-a>': 3,
    'PASS POST /orders': 3,
    'EXIT POST /orders error': 3,
    'PASS GET /items/9 <app-h>': 1,
    'EXIT GET /items/9 <app-h>': 1,
  });
  const segments = [...readSegments(dir).values()];
  t.equal(segments.reduce((n, d) => n + d.frames, 0), 13, 'one frame per request');
  for (const e of events) if (e.kind === RecordKind.EXIT) t.ok(e.rtMs >= 0);
});

t.test('command face: same decisions from stdin lines, one status line each', async (t) => {
  const dir = pin();
  const r = runCommand(join(DIST, 'http-gateway-cli.wasm'), dir, [], 'GET /a\nget /a?fail=1\n\nPOST /b?origin=o1\nnonsense\n');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '200 GET /a\n500 GET /a\n200 POST /b\n');
  t.match(r.stderr, /line 5: expected "METHOD \/path\[\?query\]"/);
  t.same(summary(allEvents(dir)), {
    'PASS GET /a': 2,
    'EXIT GET /a': 1,
    'EXIT GET /a error': 1,
    'PASS POST /b <o1>': 1,
    'EXIT POST /b <o1>': 1,
  });
});

t.test('decision logic: 429 and a BLOCK record when the map\'s verdict rejects', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapWith({ 'GET /x': [VerdictKind.ADMIT, 0.5], 'GET /closed': [VerdictKind.BLOCK, T0 + 1000] }, T0));
  // The credit of GET /x (error diffusion) starts at 0.1: + 0.5 = 0.6 rejected, then 1.1 admitted.
  const draws = [0.1];
  const s = new Sentinel(host, { random: () => draws.shift()! });
  t.same(handleRequest(s, 'GET', '/x?origin=o'), { status: 429, body: 'blocked by flow control\n', resource: 'GET /x' });
  t.same(handleRequest(s, 'GET', '/x'), { status: 200, body: 'ok\n', resource: 'GET /x' });
  const events = [...host.segments.keys()].flatMap((k) => decodeSegment(host.bytesOf(k)).events);
  t.same(events.map((e) => [e.kind, e.name, 'origin' in e ? e.origin : undefined]), [
    [RecordKind.BLOCK, 'GET /x', 'o'],
    [RecordKind.PASS, 'GET /x', undefined],
    [RecordKind.EXIT, 'GET /x', undefined],
  ]);
  t.equal(host.attempts.length, 3, 'the BLOCK at its request\'s end; the admitted request\'s PASS at once (a resource under a rule: counted in flight) and its EXIT at its end');
  t.same(handleRequest(s, 'POST', '/closed'), { status: 200, body: 'ok\n', resource: 'POST /closed' }, 'another resource: no verdict, PASS');
  t.same(handleRequest(s, 'GET', '/closed?fail=1'), { status: 429, body: 'blocked by flow control\n', resource: 'GET /closed' }, 'a BLOCK rejects before the work');
});

/** A map with these verdicts (its ids registered, so decodeSegment resolves the frames that use them). */
function mapWith(verdicts: Record<string, [VerdictKind, number]>, refreshMs: number): Uint8Array {
  return writeMap(verdicts, refreshMs, mapEpochOf(T0, () => 0.5), 16);
}

t.test('targets: path and query split; long paths cut to a valid resource name, kept apart by a hash', async (t) => {
  t.same(splitTarget('/a/b?x=1&fail=1&flag'), { path: '/a/b', params: new Map([['x', '1'], ['fail', '1'], ['flag', '']]) });
  t.same(splitTarget('?q'), { path: '/', params: new Map([['q', '']]) });
  const s = new Sentinel(new MemoryHost());
  const r = handleRequest(s, 'GET', `/${'长'.repeat(2000)}`);
  t.equal(r.status, 200);
  // "GET /" (5 bytes), 80 × 3 bytes, "~" and 8 hex digits: 254 bytes, the most under 256.
  t.match(r.resource, new RegExp(`^GET /${'长'.repeat(80)}~[0-9a-f]{8}$`));
  t.equal(Buffer.byteLength(r.resource), 254);
  const a = handleRequest(s, 'GET', `/${'p'.repeat(5000)}a`).resource;
  const b = handleRequest(s, 'GET', `/${'p'.repeat(5000)}b`).resource;
  t.equal(Buffer.byteLength(a), MAX_NAME_BYTES);
  t.not(a, b, 'two long paths with the same first 256 bytes are two resources');
  t.equal(handleRequest(s, 'GET', `/${'p'.repeat(5000)}a`).resource, a, 'the same path, the same name');
});
