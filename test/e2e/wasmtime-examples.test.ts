// The wasmtime lane: every command example (examples/*/dist/*.wasm exporting wasi:cli/run) runs
// under the real wasmtime engine and writes valid frames to the pin. A new command example without
// a scenario here fails this test, so none is left out. (HTTP examples cannot be driven by the
// wasmtime embeddings here; their command faces are run instead, and the Node host serves them.)

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { componentWit } from '@bytecodealliance/jco';
import type { GuestRun } from '../helpers/node-host.js';
import { REPO_ROOT, tempDir } from '../helpers/repo.js';
import { scanPin } from '../helpers/segments.js';
import { wasmtimeLane } from '../helpers/wasmtime.js';

interface Scenario {
  args?: string[];
  stdin: string;
  stdout: string | RegExp;
  records: number;
}

const SCENARIOS: Record<string, Scenario> = {
  replay: {
    args: ['--writer', 'lane'],
    stdin: '1764000000000\tGET /a\t12\tok\n1764000000500\tGET /a\t30\terror\tapp-a\n1764000001000\tGET /b\t0\tblock\n',
    stdout: '',
    records: 3,
  },
  'http-gateway-cli': {
    stdin: 'GET /a\nGET /a?fail=1\n',
    stdout: '200 GET /a\n500 GET /a\n',
    records: 4, // a PASS and an EXIT per request
  },
};

async function commandExamples(): Promise<string[]> {
  const found: string[] = [];
  for (const example of readdirSync(join(REPO_ROOT, 'examples')).sort()) {
    let files: string[];
    try {
      files = readdirSync(join(REPO_ROOT, 'examples', example, 'dist')).filter((f) => f.endsWith('.wasm'));
    } catch {
      continue;
    }
    for (const file of files.sort()) {
      const path = join(REPO_ROOT, 'examples', example, 'dist', file);
      const wit = await componentWit(readFileSync(path));
      if (/export wasi:cli\/run@/.test(wit)) found.push(path);
    }
  }
  return found;
}

t.test('every command example runs under wasmtime and writes valid frames', async (t) => {
  const lane = wasmtimeLane();
  t.comment(`wasmtime lane: ${lane.kind === 'cli' ? 'the wasmtime CLI' : 'wasmtime-py 49 (Python embedding)'}`);
  const examples = await commandExamples();
  t.ok(examples.length >= 2, `command examples found: ${examples.map((p) => p.slice(REPO_ROOT.length + 1)).join(', ')}`);
  for (const component of examples) {
    const name = component.slice(component.lastIndexOf('/') + 1, -'.wasm'.length);
    const scenario = SCENARIOS[name];
    if (scenario === undefined) {
      t.fail(`no wasmtime lane scenario for ${name}: add one to test/e2e/wasmtime-examples.test.ts`);
      continue;
    }
    const pin = await tempDir(t, `lane-${name}`);
    const run: GuestRun = { component, pin, args: scenario.args ?? [], stdin: scenario.stdin };
    const result = await lane.run(run);
    t.equal(result.code, 0, `${name}: exit 0 (${result.stderr.trim()})`);
    if (typeof scenario.stdout === 'string') t.equal(result.stdout, scenario.stdout, `${name}: stdout`);
    else t.match(result.stdout, scenario.stdout, `${name}: stdout`);
    const scan = scanPin(pin);
    t.same({ records: scan.recordsAccepted - (scan.byKind[8] ?? 0), skipped: scan.framesSkipped, rejected: scan.recordsRejected },
      { records: scenario.records, skipped: 0, rejected: 0 }, `${name}: records in the pin`);
  }
});
