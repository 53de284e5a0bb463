// The second half of the model test's seeds (see model.test.ts, whose run this is, with seeds of
// its own): a file of its own so that the two halves run side by side under `npm test`.

import t from 'tap';
import { modelTest } from './helpers/model-run.js';
import { size } from './helpers/seed.js';

modelTest(t, size(10, 100));
