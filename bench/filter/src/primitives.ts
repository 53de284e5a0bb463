// Owns the engine's prices: modes that time one kind of JS operation at a time inside the
// component, so that the filter's per-record cost can be read as a count of operations times
// their price. Each mode runs the same loop as `opempty` (the loop alone) plus its operations, as
// many per event as PRIMITIVE_OPS (primitive-ops.ts) says: property reads, typed-array element
// reads and writes, calls of a 5-argument function, `typeof x === 'string'` checks. A price is
// (mode − opempty) ÷ operations per event; bench/filter.js reports the counts with the results.
// Every mode returns n.

class Fields {
  a = 1;
  b = 2;
  c = 3;
  d = 4;
}

const fields = new Fields();
const bytes = new Uint8Array(1024).fill(3);
let strings: unknown[] = ['GET /orders', 'POST /pay'];

function five(a: number, b: number, c: number, d: number, e: number): number {
  return a + e;
}

/** Runs primitive mode `mode` for n events (null: not a primitive mode). */
export function runPrimitive(mode: string, n: number): number | null {
  let sink = 0;
  if (mode === 'opempty') {
    for (let i = 0; i < n; i++) sink += i & 1;
  } else if (mode === 'opprop') {
    const o = fields;
    for (let i = 0; i < n; i++) sink += (i & 1) + o.a + o.b + o.c + o.d;
  } else if (mode === 'opread') {
    const a = bytes;
    for (let i = 0; i < n; i++) {
      const p = i & 1020;
      sink += (i & 1) + a[p]! + a[p + 1]! + a[p + 2]! + a[p + 3]!;
    }
  } else if (mode === 'opwrite') {
    const a = bytes;
    for (let i = 0; i < n; i++) {
      const p = i & 1020;
      sink += i & 1;
      a[p] = i;
      a[p + 1] = i;
      a[p + 2] = i;
      a[p + 3] = i;
    }
  } else if (mode === 'opcall') {
    for (let i = 0; i < n; i++) sink += five(i & 1, 1, 2, 3, 4);
  } else if (mode === 'optypeof') {
    const x = strings[i0()];
    for (let i = 0; i < n; i++) sink += (i & 1) + (typeof x === 'string' && typeof x === 'string' && typeof x === 'string' && typeof x === 'string' ? 1 : 0);
  } else return null;
  // (The sink keeps the work observable; the mode's result is n.)
  if (sink < 0) strings = [];
  return n;
}

/** Index 0, opaque to any engine that would fold a constant. */
function i0(): number {
  return strings.length - strings.length;
}
