// Owns the two ways the tests run a command component: the project's Node host (`sentinel-wasi
// run`) and the wasmtime lane. Both take the same GuestRun, so a scenario is written once.

import { runUnderNode, type GuestRun } from './node-host.js';
import type { ProcessResult } from './repo.js';
import { wasmtimeLane } from './wasmtime.js';

export type HostName = 'node' | 'wasmtime';
export type HostRun = (run: GuestRun) => Promise<ProcessResult>;

export function hostRunner(host: HostName): HostRun {
  if (host === 'node') return runUnderNode;
  const lane = wasmtimeLane();
  return (run) => lane.run(run);
}
