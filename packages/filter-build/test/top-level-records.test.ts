// The build refuses a filter that records at module top level (E_TOP_LEVEL_RECORD, exit 1, nothing
// written): that code runs once, at build time, and its records would be sent again on every run.
// Real builds under both engines: a top-level recordCall and a top-level entry() with QuickJS (command
// world), a top-level recordCall with StarlingMonkey (HTTP world; an entry() is refused by the same
// marker, read from StarlingMonkey's output by the marker test below), and a refused call the filter
// catches. A filter that only creates and configures recorders at top level builds under both, and
// its QuickJS component, run twice, writes exactly what its run() records. Then the pieces: the
// marker read from jco's output, the messages, the bundle configuration with and without the SDK.

import t, { type Test } from 'tap';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordKind } from '@sentinel-wasi/protocol';
import { runBuild } from './run-build.js';
import { bundleConfigSource, sdkCoreModule } from '../src/componentize.js';
import { TOP_LEVEL_RECORD_MARK, TopLevelRecordError, topLevelRecordIn, topLevelRecordMessage } from '../src/top-level-records.js';
import { hostRunner } from '../../../test/helpers/hosts.js';
import { REPO_ROOT, tempPin } from '../../../test/helpers/repo.js';
import { scanPin } from '../../../test/helpers/segments.js';

// Real builds (QuickJS a few seconds each, StarlingMonkey about three times that).
t.setTimeout(600_000);

// Inside the repository (so the SDK resolves), a project of its own: no tsconfig, strict defaults.
const project = join(REPO_ROOT, '.cache', `top-level-records-${process.pid}`);
mkdirSync(project, { recursive: true });
t.teardown(() => rmSync(project, { recursive: true, force: true }));
writeFileSync(join(project, 'package.json'), '{ "name": "top-level-records-fixture", "private": true, "type": "module" }');

function filter(name: string, text: string): string {
  const source = join(project, name);
  writeFileSync(source, text);
  return source;
}

const RECORD_CALL =
  'sentinel-wasi build: recordCall("r") was called at module top level, which runs once at build time; ' +
  'its record would be sent again on every run, with the build time: call it inside command() or httpHandler() (nothing built) (E_TOP_LEVEL_RECORD)\n';
const ENTRY =
  'sentinel-wasi build: entry("r") was called at module top level, which runs once at build time; ' +
  'its PASS would be sent again on every run, with no EXIT: call it inside command() or httpHandler() (nothing built) (E_TOP_LEVEL_RECORD)\n';

/** Builds; expects the refusal, exactly, and nothing written. */
async function refused(t: Test, source: string, argv: string[], stderr: string): Promise<void> {
  const out = source.replace(/\.ts$/, '.wasm');
  const r = await runBuild([source, '-o', out, ...argv]);
  t.equal(r.code, 1);
  t.equal(r.stderr, stderr);
  t.equal(r.stdout, '');
  t.notOk(existsSync(out), 'nothing built');
  t.notOk(existsSync(`${out}.map`), 'no source map either');
}

const COMMAND_RECORD_CALL = "import { command, recordCall } from '@sentinel-wasi/filter';\n\nrecordCall('r', 3, false);\n\nexport const run = command(() => {});\n";
const COMMAND_ENTRY = "import { command, entry } from '@sentinel-wasi/filter';\n\nconst open = entry('r');\n\nexport const run = command(() => {\n  open.exit();\n});\n";
const HTTP_RECORD_CALL =
  "import { createSentinel, httpHandler } from '@sentinel-wasi/filter';\n\nconst sentinel = createSentinel({ writer: 'gw' });\nsentinel.recordCall('r', 3, false);\n\n" +
  'export const incomingHandler = httpHandler((_request: unknown, _responseOut: unknown) => {});\n';

t.test('QuickJS: a top-level recordCall is refused', async (t) => {
  await refused(t, filter('q-record-call.ts', COMMAND_RECORD_CALL), [], RECORD_CALL);
});

t.test('QuickJS: a top-level entry() is refused', async (t) => {
  await refused(t, filter('q-entry.ts', COMMAND_ENTRY), [], ENTRY);
});

t.test('StarlingMonkey: a top-level recordCall (on a recorder of its own) is refused', async (t) => {
  await refused(t, filter('sm-record-call.ts', HTTP_RECORD_CALL), ['--world', 'http'], RECORD_CALL);
});

t.test('a refused call the filter catches is refused all the same', async (t) => {
  const source = filter('caught.ts', "import { command, recordPass } from '@sentinel-wasi/filter';\n\ntry {\n  recordPass('p');\n} catch {\n  // ignored\n}\n\nexport const run = command(() => {});\n");
  await refused(
    t,
    source,
    [],
    'sentinel-wasi build: recordPass("p") was called at module top level, which runs once at build time; ' +
      'its record would be sent again on every run, with the build time: call it inside command() or httpHandler() (nothing built) (E_TOP_LEVEL_RECORD)\n',
  );
});

t.test('creating and configuring recorders at top level builds; a run writes only what run() records', async (t) => {
  const source = filter(
    'configured.ts',
    "import { command, configure, createSentinel, recordCall } from '@sentinel-wasi/filter';\n\n" +
      "configure({ writer: 'tl-default' });\nconst own = createSentinel({ writer: 'tl-own' });\n\n" +
      "export const run = command(() => {\n  recordCall('r', 3, false);\n  own.recordPass('p');\n});\n",
  );
  const out = join(project, 'configured.wasm');
  const r = await runBuild([source, '-o', out]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^built .*configured\.wasm \(command world, quickjs\)/);

  const pin = await tempPin(t, 'top-level-records-pin');
  for (let i = 0; i < 2; i++) {
    const run = await hostRunner('node')({ component: out, pin });
    t.equal(run.code, 0, run.stderr);
  }
  const scan = scanPin(pin);
  t.equal(scan.recordsRejected, 0);
  const kinds = { [RecordKind.PASS]: 'PASS', [RecordKind.CALL]: 'CALL' } as Record<number, string>;
  t.same(scan.records.map((x) => `${kinds[x.kind] ?? x.kind} ${x.name}`).sort(), ['CALL r', 'CALL r', 'PASS p', 'PASS p'], 'two runs, nothing from the build');
});

t.test('StarlingMonkey: creating and configuring recorders at top level builds', async (t) => {
  const source = filter(
    'configured-http.ts',
    "import { configure, createSentinel, httpHandler } from '@sentinel-wasi/filter';\n\n" +
      "configure({ writer: 'tl-default' });\nconst own = createSentinel({ writer: 'tl-own' });\n\n" +
      "export const incomingHandler = httpHandler((_request: unknown, _responseOut: unknown) => {\n  own.recordPass('p');\n});\n",
  );
  const out = join(project, 'configured-http.wasm');
  const r = await runBuild([source, '-o', out, '--world', 'http']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^built .*configured-http\.wasm \(http world, starlingmonkey\)/);
});

t.test("the marker is read from either engine's jco output", async (t) => {
  const quickjs =
    "(jco componentize) [Error: : Failed to evaluate user JavaScript module: Failed to finish JavaScript module evaluation: Error: " +
    `${TOP_LEVEL_RECORD_MARK} recordCall "r"\n    at <anonymous> (/entry.ts:2341:40)\n] {\n  code: 'GenericFailure'\n}`;
  t.same(topLevelRecordIn(quickjs), { method: 'recordCall', resource: 'r' });
  const starlingmonkey =
    '(jco componentize) Error: Failed to initialize component (wizer (/x/wizer)):\nException while evaluating top-level script\n' +
    `gw.js:443:36 Error: ${TOP_LEVEL_RECORD_MARK} entry "a \\"b\\" \\\\ c"\nAdditionally, some promises were rejected, but the rejection never handled:\n` +
    `Promise rejected but never handled: ${TOP_LEVEL_RECORD_MARK} entry "a \\"b\\" \\\\ c"\n`;
  t.same(topLevelRecordIn(starlingmonkey), { method: 'entry', resource: 'a "b" \\ c' });
  t.equal(topLevelRecordIn('(jco componentize) Error: something else'), undefined);

  const e = new TopLevelRecordError('recordBlock', 'checkout');
  t.equal(e.code, 'E_TOP_LEVEL_RECORD');
  t.equal(
    e.message,
    'recordBlock("checkout") was called at module top level, which runs once at build time; its record would be sent again on every run, ' +
      'with the build time: call it inside command() or httpHandler() (nothing built)',
  );
  t.equal(topLevelRecordMessage('entry', 'r'), ENTRY.slice('sentinel-wasi build: '.length, -' (E_TOP_LEVEL_RECORD)\n'.length));
});

t.test("the bundle configuration watches the SDK's core module as the filter resolves it", async (t) => {
  const core = sdkCoreModule(join(project, 'q-record-call.ts'));
  t.equal(core, join(REPO_ROOT, 'packages/filter/dist/core.js'), 'symbolic links followed, as the bundler does');
  t.equal(sdkCoreModule(join(tmpdir(), 'nowhere', 'filter.ts')), undefined, 'no SDK there');
  const watched = bundleConfigSource('/stage/out.wasm.map', core);
  t.match(watched, "name: 'sentinel-wasi-top-level-records'");
  t.match(watched, `if (id !== ${JSON.stringify(core)}) return null;`);
  t.match(watched, 'outro: ');
  const plain = bundleConfigSource('/stage/out.wasm.map');
  t.notMatch(plain, 'sentinel-wasi-top-level-records');
  t.notMatch(plain, 'outro');
});
