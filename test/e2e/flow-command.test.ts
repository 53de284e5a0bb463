// End to end, real processes: a QuickJS command filter (the http-gateway's command face) reads the
// verdicts a real collector writes into <pin>/map, under the Node host and under wasmtime: a QPS
// rule of 0 rejects its resource (429 and a BLOCK record), another resource passes.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { hostRunner, type HostName } from '../helpers/hosts.js';
import { exampleComponent, tempDir } from '../helpers/repo.js';
import { mapVerdict, startCollector, waitFor } from './flow-support.js';

for (const host of ['node', 'wasmtime'] as HostName[]) {
  t.test(`${host}: the command face enforces the collector's verdict`, async (t) => {
    const pin = await tempDir(t, `flow-cmd-${host}`);
    mkdirSync(join(pin, 'rules'), { recursive: true, mode: 0o700 });
    writeFileSync(join(pin, 'rules', 'flow.json'), JSON.stringify([{ resource: 'GET /limited', count: 0, grade: 1 }]));
    const collector = await startCollector(pin);
    t.teardown(() => collector.stop());
    await waitFor('the verdict in the map', () => mapVerdict(pin, 'GET /limited').outcome === 'hit');
    const run = hostRunner(host);
    const result = await run({ component: exampleComponent('http-gateway', 'http-gateway-cli'), pin, stdin: 'GET /limited\nGET /free\nGET /limited?fail=1\n' });
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout, '429 GET /limited\n200 GET /free\n429 GET /limited\n');
    const node = (name: string) => fetch(`${collector.url}/clusterNodeById?id=${encodeURIComponent(name)}`).then((r) => r.json() as Promise<{ oneMinutePass?: number; oneMinuteBlock?: number }>);
    const limited = await waitFor('the BLOCK records counted', async () => {
      const n = await node('GET /limited');
      return n.oneMinuteBlock === 2 ? n : undefined;
    });
    t.same([limited.oneMinutePass, limited.oneMinuteBlock], [0, 2], 'a BLOCK per rejected request, no PASS');
    const free = await node('GET /free');
    t.same([free.oneMinutePass, free.oneMinuteBlock], [1, 0]);
  });
}
