// The benchmarks' filter sources type-check against the code they share with the SDK and the
// examples (the build's own check, without building): `npm run bench` builds them, `npm test`
// does not, so a change elsewhere (an example's exports, the SDK's API) would otherwise break a
// benchmark unseen until the next bench run.

import t from 'tap';
import { join } from 'node:path';
import { typecheckFilter } from '../../packages/filter-build/src/typecheck.js';
import { REPO_ROOT } from '../helpers/repo.js';

// The worlds they are built for (bench/filter.js, bench/serve.js): their own WIT, as --wit builds them.
const SOURCES = [
  ['bench/filter/src/bench.ts', 'command'],
  ['bench/filter/src/bench-http.ts', 'http'],
  ['bench/serve-nosdk/http.ts', 'http'],
] as const;

for (const [source, world] of SOURCES) {
  t.test(`${source} type-checks`, async (t) => {
    t.same(typecheckFilter(join(REPO_ROOT, source), world, REPO_ROOT, true).errors, []);
  });
}
