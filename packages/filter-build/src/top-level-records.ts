// Owns refusing a filter that records at module top level (E_TOP_LEVEL_RECORD). componentize
// evaluates the module's top level once, at build time, and snapshots the heap into the component:
// a record made there would be buffered in that snapshot and sent again, with the build time, on
// every run, and an entry opened there would be a PASS without its EXIT on every run. (Under
// StarlingMonkey a record there does not even get that far: its resource map read traps, because
// no WASI import may be called while the engine is initialised.) So the build watches the filter's
// top level, inside the component, with the SDK's public API only, through two pieces of generated
// code that the bundle configuration (componentize.ts) adds:
// - the watch, appended to the SDK's `@sentinel-wasi/filter/core` module, so only to a filter that
//   uses the SDK, and evaluated before any filter code can record: it wraps the recording methods
//   of `Sentinel.prototype` (entry, recordPass, recordBlock, recordExit, recordCall), which the
//   module-level helpers call on the default recorder too. While the top level runs, a call throws
//   a marker naming the method and resource before it records anything (or reads the map);
// - the check, at the end of the bundle (after the filter's top level): it puts the methods back
//   and throws the marker again if the filter caught it.
// jco fails with the marker in its output (both engines print the message); the build turns it
// into TopLevelRecordError. Creating or configuring a recorder at top level records nothing.

/** Where the watch leaves the check for the end of the bundle (removed when it runs). */
const KEY = "Symbol.for('sentinel-wasi.build.top-level-records')";

/** What the watch throws at build time, followed by the method and the resource (JSON). */
export const TOP_LEVEL_RECORD_MARK = 'sentinel-wasi build: E_TOP_LEVEL_RECORD';

/** The recording methods of Sentinel the watch wraps (those of the module-level helpers). */
export const RECORDING_METHODS = ['entry', 'recordPass', 'recordBlock', 'recordExit', 'recordCall'] as const;

/**
 * The watch, appended to the SDK's core module at coreModule (it imports that module's own
 * Sentinel export). Outside the top level a wrapper only calls the method it wraps.
 */
export function topLevelWatchSource(coreModule: string): string {
  return `
// Added by sentinel-wasi build: refuses records made at module top level (build time).
import { Sentinel as $sentinelWasiSentinel } from ${JSON.stringify(coreModule)};
(() => {
  const key = ${KEY};
  if (globalThis[key] !== undefined) return;
  const proto = $sentinelWasiSentinel.prototype;
  const originals = [];
  let watching = true;
  let refused;
  for (const name of ${JSON.stringify(RECORDING_METHODS)}) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    originals.push([name, original]);
    proto[name] = function (...args) {
      if (watching) {
        if (refused === undefined) refused = \`${TOP_LEVEL_RECORD_MARK} \${name} \${JSON.stringify(String(args[0]))}\`;
        throw new Error(refused);
      }
      return original.apply(this, args);
    };
  }
  globalThis[key] = () => {
    watching = false;
    for (const [name, original] of originals) proto[name] = original;
    if (refused !== undefined) throw new Error(refused);
  };
})();
`;
}

/** The check, run after the filter's top level (nothing to do when the SDK is not in the bundle). */
export function topLevelCheckSource(): string {
  return `
// Added by sentinel-wasi build: the end of the module top level (build time).
{
  const check = globalThis[${KEY}];
  if (check !== undefined) {
    delete globalThis[${KEY}];
    check();
  }
}
`;
}

/** The call the watch refused, when jco's output has its marker (the first, if printed twice). */
export function topLevelRecordIn(output: string): { method: string; resource: string } | undefined {
  const m = new RegExp(`${TOP_LEVEL_RECORD_MARK} (\\w+) ("(?:[^"\\\\]|\\\\.)*")`).exec(output);
  if (m === null) return undefined;
  return { method: m[1]!, resource: JSON.parse(m[2]!) as string };
}

/** The filter records at module top level (the first such call named): nothing was built. */
export class TopLevelRecordError extends Error {
  readonly code = 'E_TOP_LEVEL_RECORD';
  constructor(
    readonly method: string,
    readonly resource: string,
  ) {
    super(topLevelRecordMessage(method, resource));
    this.name = 'TopLevelRecordError';
  }
}

/** `recordCall("r") was called at module top level, which runs once at build time; …`. */
export function topLevelRecordMessage(method: string, resource: string): string {
  const what = method === 'entry' ? 'its PASS would be sent again on every run, with no EXIT' : 'its record would be sent again on every run, with the build time';
  return `${method}(${JSON.stringify(resource)}) was called at module top level, which runs once at build time; ${what}: call it inside command() or httpHandler() (nothing built)`;
}
