// The Node host and wasmtime behave the same for a command component: stdin/stdout, exit codes
// (ok, an error result, wasi:cli/exit), the environment, the pin at /pin, and no pin at all.

import t from 'tap';
import { fixtureComponent } from '../helpers/fixtures.js';
import { hostRunner, type HostName } from '../helpers/hosts.js';
import { tempPin } from '../helpers/repo.js';
import { scanPin } from '../helpers/segments.js';

const BUCKET = 1764000000;

for (const host of ['node', 'wasmtime'] as HostName[]) {
  t.test(`${host}: the fixture behaves as specified`, async (t) => {
    const run = hostRunner(host);
    const component = fixtureComponent('append-cli');
    const pin = await tempPin(t, `parity-${host}`);
    const echo = await run({ component, pin, args: ['echo'], stdin: 'α\nβ\n' });
    t.same({ code: echo.code, stdout: echo.stdout }, { code: 0, stdout: 'echo:α\nβ\n' });
    const env = await run({ component, pin, args: ['env'], env: { FILTER_MODE: 'strict', EMPTY: '' } });
    t.same({ code: env.code, stdout: env.stdout }, { code: 0, stdout: 'FILTER_MODE=strict\nEMPTY=\n' }, 'exactly the given environment, none of the host\'s');
    const fail = await run({ component, pin, args: ['fail'] });
    t.same({ code: fail.code, stdout: fail.stdout }, { code: 1, stdout: 'failing on purpose\n' });
    const exited = await run({ component, pin, args: ['exit-err'] });
    t.same({ code: exited.code, stdout: exited.stdout }, { code: 1, stdout: 'before exit\n' }, 'nothing runs after wasi:cli/exit');
    const appended = await run({ component, pin, args: ['append', 'parity', '40', 'res', String(BUCKET)] });
    t.same({ code: appended.code, stdout: appended.stdout }, { code: 0, stdout: 'appended 40 dropped 0\n' });
    const scan = scanPin(pin);
    t.same({ segments: scan.segments, frames: scan.framesRead, skipped: scan.framesSkipped }, { segments: [`${BUCKET}-parity.seg`], frames: 40, skipped: 0 });
    const noPin = await run({ component, pin: undefined, args: ['append', 'parity', '5', 'res', String(BUCKET)] });
    t.same({ code: noPin.code, stdout: noPin.stdout }, { code: 0, stdout: 'appended 0 dropped 5\n' });
  });
}
