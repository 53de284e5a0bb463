// Model-based test of the whole collector process. Each seed drives one pin and one real
// `sentinel-wasi collector` through a random sequence of writer appends, frames written in two
// pieces, garbage, writers crashing with a torn tail (left forever, or continued after), new
// segments, records stamped seconds late, minutes late, near and far in the future, WRITER
// records, and SIGKILL / SIGSTOP+SIGCONT / SIGTERM of the collector with restarts while writers go
// on. An in-memory model knows what must be counted; the test then asserts, exactly: the metric
// log's per-(second, resource) sums, and the health counters for records, late drops, future
// records, skipped bytes and writer drops, and again after one more clean restart.
//
// The collector has no clock option, so clock skew is covered by record timestamps in the past and
// the future relative to the real clock. Replay one seed with SW_SEED=<seed>; SW_LONG=1 runs more
// seeds with longer sequences.
//
// The seeds are split between this file and model-more-seeds.test.ts (half each, the same run in
// helpers/model-run.ts), so that the two halves run side by side under `npm test`.

import t from 'tap';
import { modelTest } from './helpers/model-run.js';
import { size } from './helpers/seed.js';

modelTest(t, size(10, 100));
