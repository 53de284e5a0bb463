// Owns the two ways the tests run a command component: the project's Node host (`sentinel-wasi
// run`) and the wasmtime lane. Both take the same GuestRun, so a scenario is written once.

import { prepareUnderNode, runUnderNode, type GuestRun } from './node-host.js';
import type { ProcessResult } from './repo.js';
import { wasmtimeLane } from './wasmtime.js';

export type HostName = 'node' | 'wasmtime';
export interface HostRun {
  (run: GuestRun): Promise<ProcessResult>;
  /** Transpiles or compiles the component once, before several processes start together. */
  prepare(component: string): Promise<void>;
}

export function hostRunner(host: HostName): HostRun {
  if (host === 'node') return Object.assign((run: GuestRun) => runUnderNode(run), { prepare: prepareUnderNode });
  const lane = wasmtimeLane();
  return Object.assign((run: GuestRun) => lane.run(run), { prepare: (component: string) => lane.prepare(component) });
}
