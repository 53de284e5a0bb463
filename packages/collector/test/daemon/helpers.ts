// Test helpers: writing segments the way filters do (one append per frame), and reading the
// metric log back as per-(second, resource) sums.
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrames, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { parseFatLine } from '../../src/metriclog/line.js';

/** Appends events to `<pin>/log/<bucketSec>-<writer>.seg`, one appendFileSync per frame; returns the frames. */
export function appendEvents(pinDir: string, bucketSec: number, writer: string, events: FlowEvent[], maxFrameBytes = 4096): Uint8Array[] {
  const frames = encodeFrames(events, { maxFrameBytes });
  const path = join(pinDir, 'log', segmentName(bucketSec, writer));
  for (const f of frames) appendFileSync(path, f);
  return frames;
}

export interface Sums {
  pass: number;
  block: number;
  success: number;
  exception: number;
  lines: number;
}

/** Sums every metric-log line in `<pin>/collector/metrics` by "second|resource". */
export function metricSums(pinDir: string): Map<string, Sums> {
  const dir = join(pinDir, 'collector', 'metrics');
  const out = new Map<string, Sums>();
  for (const f of readdirSync(dir).filter((n) => !n.endsWith('.idx')).sort()) {
    for (const text of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (text === '') continue;
      const l = parseFatLine(text);
      if (l === null) throw new Error(`bad metric line ${JSON.stringify(text)}`);
      const key = `${l.timestampMs / 1000}|${l.resource}`;
      const s = out.get(key) ?? { pass: 0, block: 0, success: 0, exception: 0, lines: 0 };
      s.pass += l.pass;
      s.block += l.block;
      s.success += l.success;
      s.exception += l.exception;
      s.lines++;
      out.set(key, s);
    }
  }
  return out;
}

/**
 * The same sums computed from the events themselves (what the metric log must say). A CALL is a
 * PASS of 1 in the second of dt and an EXIT of 1 in the second of dt + rtMs.
 */
export function expectedSums(events: FlowEvent[], total = '__total_inbound_traffic__'): Map<string, Omit<Sums, 'lines'>> {
  const out = new Map<string, Omit<Sums, 'lines'>>();
  const at = (sec: number, name: string): Omit<Sums, 'lines'> => {
    const key = `${sec}|${name}`;
    const s = out.get(key) ?? { pass: 0, block: 0, success: 0, exception: 0 };
    out.set(key, s);
    return s;
  };
  for (const e of events) {
    if (e.kind === 8) continue;
    const sec = Math.floor(e.tsMs / 1000);
    const count = 'count' in e && e.count !== undefined ? e.count : 1;
    for (const name of [e.name, total]) {
      if (e.kind === 0) at(sec, name).pass += count;
      else if (e.kind === 1) at(sec, name).block += count;
      else if (e.kind === 2) {
        const s = at(sec, name);
        s.success += count;
        if (e.error) s.exception += count;
      } else if (e.kind === 3) {
        at(sec, name).pass += 1;
        const s = at(Math.floor((e.tsMs + e.rtMs) / 1000), name);
        s.success += 1;
        if (e.error) s.exception += 1;
      }
    }
  }
  return out;
}

/** Drops the line counts so sums compare with expectedSums. */
export function withoutLines(m: Map<string, Sums>): Map<string, Omit<Sums, 'lines'>> {
  return new Map([...m].map(([k, { lines: _lines, ...rest }]) => [k, rest]));
}

export { prng, testSeed } from '../../../../test/helpers/seeded.js';
