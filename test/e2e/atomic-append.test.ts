// Concurrent appenders on one segment: 4 processes, each appending N single-record frames to the
// same file through append-via-stream, under the Node host (O_APPEND) and under wasmtime
// (RWF_APPEND). Every frame must be found whole by the scanner: none lost, none torn.

import t from 'tap';
import { fixtureComponent } from '../helpers/fixtures.js';
import { hostRunner, type HostName } from '../helpers/hosts.js';
import { tempPin } from '../helpers/repo.js';
import { scanPin } from '../helpers/segments.js';

const WRITERS = 4;
const FRAMES_PER_WRITER = 2000;
const BUCKET = 1764000000;

for (const host of ['node', 'wasmtime'] as HostName[]) {
  t.test(`${host}: ${WRITERS} processes x ${FRAMES_PER_WRITER} frames on one segment: zero lost, zero torn`, async (t) => {
    const run = hostRunner(host);
    const component = fixtureComponent('append-cli');
    const pin = await tempPin(t, `atomic-${host}`);
    await run.prepare(component);
    const results = await Promise.all(
      [...Array(WRITERS).keys()].map((i) => run({ component, pin, args: ['append', 'shared', String(FRAMES_PER_WRITER), `writer-${i}`, String(BUCKET)] })),
    );
    for (const r of results) t.same({ code: r.code, stdout: r.stdout }, { code: 0, stdout: `appended ${FRAMES_PER_WRITER} dropped 0\n` }, r.stderr);
    const scan = scanPin(pin);
    t.same(scan.segments, [`${BUCKET}-shared.seg`]);
    t.same(
      { frames: scan.framesRead, skipped: scan.framesSkipped, bytesSkipped: scan.bytesSkipped, incomplete: scan.incompleteTails, records: scan.recordsAccepted },
      { frames: WRITERS * FRAMES_PER_WRITER, skipped: 0, bytesSkipped: 0, incomplete: 0, records: WRITERS * FRAMES_PER_WRITER },
    );
    // Each writer's frames carry rtMs = 0..N-1: every one is there exactly once, in its writer's order.
    for (let i = 0; i < WRITERS; i++) {
      const rts = scan.records.filter((r) => r.name === `writer-${i}`).map((r) => r.rtMs);
      t.same(rts, [...Array(FRAMES_PER_WRITER).keys()], `writer-${i}: all ${FRAMES_PER_WRITER} frames, in order`);
    }
  });
}
