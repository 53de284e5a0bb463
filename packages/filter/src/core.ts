// Owns the SDK's platform-neutral entry point: the recorder, verdicts and errors without the WASI
// host, so code that only decides (and its tests under plain Node) can import it.

export { Sentinel } from './sentinel.js';
export type { Entry, EntryOptions, ExitOptions, RecordOptions, SentinelOptions, SentinelStats } from './sentinel.js';
export type { FilterHost } from './host.js';
export { FilterError, FilterErrorCode } from './errors.js';
export { VERDICT_PASS, admits, mostRestrictive, type Verdict } from './verdict.js';
export { MapReader, snapshotAfterReads, toVerdict, type MapReaderCounters, type MapReaderHost, type MapReaderOptions, type PinFile } from './map-reader.js';
export { command, flushAll, httpHandler, register } from './lifecycle.js';
export { DEFAULT_RESOURCE_NAME_BYTES, EMPTY_RESOURCE_NAME, resourceName, type ResourceNameOptions } from './resource-name.js';
