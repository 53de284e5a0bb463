// The documents cannot silently drift from the tree: every repository path ARCHITECTURE.md names
// (`packages/…`, `test/…`, `bench/…`, `examples/…`) exists, every source file it names by its bare
// name (`rule-set.ts`) exists under some package, and no file of the project refers to a Markdown
// document that is not in the repository.

import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REPO_ROOT } from '../helpers/repo.js';

const architecture = readFileSync(join(REPO_ROOT, 'ARCHITECTURE.md'), 'utf8');

/** Files under dir (relative to the repository), skipping installed, built and cached trees. */
function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
    if (['node_modules', 'dist', '.cache', '.git', 'results'].includes(e.name)) continue;
    const rel = dir === '' ? e.name : `${dir}/${e.name}`;
    if (e.isDirectory()) walk(rel, out);
    else out.push(rel);
  }
  return out;
}

const files = walk('');

t.test('every repository path named in ARCHITECTURE.md exists', async (t) => {
  const named = new Set<string>();
  for (const m of architecture.matchAll(/(?:^|[\s`(*])((?:packages|test|bench|examples)\/[A-Za-z0-9_./-]*[A-Za-z0-9_/-])/gm)) {
    named.add(m[1]!);
  }
  t.ok(named.size >= 60, `ARCHITECTURE.md names ${named.size} paths`);
  const missing = [...named].filter((p) => !existsSync(join(REPO_ROOT, p)));
  t.same(missing, [], 'paths named in ARCHITECTURE.md that do not exist');
});

t.test('every source file ARCHITECTURE.md names by its bare name exists', async (t) => {
  const sourceNames = new Set(files.filter((f) => /^(packages|test|bench|examples)\//.test(f)).map((f) => basename(f)));
  const bare = new Set<string>();
  for (const m of architecture.matchAll(/(?<![/\w.-])([a-z][a-z0-9-]*\.(?:ts|js))\b/g)) bare.add(m[1]!);
  t.ok(bare.size >= 10, `ARCHITECTURE.md names ${bare.size} files by their bare name`);
  const missing = [...bare].filter((n) => !sourceNames.has(n));
  t.same(missing, [], 'bare file names in ARCHITECTURE.md with no such file in the repository');
});

t.test('no file of the project refers to a Markdown document outside the repository', async (t) => {
  const documents = new Set(files.filter((f) => f.endsWith('.md')).map((f) => basename(f)));
  // Written by `npm run bench -- --only …` and `-- --quick` into bench/results/, not kept in the repository.
  const generated = new Set(['partial.md', 'quick.md']);
  const dangling: string[] = [];
  for (const f of files) {
    if (!/\.(md|ts|js|json|py|wit)$/.test(f)) continue;
    const text = readFileSync(join(REPO_ROOT, f), 'utf8');
    for (const m of text.matchAll(/[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b/g)) {
      const name = basename(m[0]);
      if (!documents.has(name) && !generated.has(name)) dangling.push(`${f}: ${m[0]}`);
    }
  }
  t.same(dangling, [], 'references to Markdown documents that are not in the repository');
});
