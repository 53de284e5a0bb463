// Owns the names both sides of the pin agree on: the pin layout, segment file names (10-second
// buckets, writer ids), and the PIN header.

import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { utf8Length } from './utf8.js';

/** Segments are named by the write time's epoch second rounded down to a multiple of this. */
export const BUCKET_SECONDS = 10;
export const SEGMENT_SUFFIX = '.seg';
/** Writer id for per-request instances that share one segment per bucket. */
export const SHARED_WRITER = 'shared';
/** Where a filter sees the pin directory unless configured otherwise. */
export const DEFAULT_GUEST_PIN = '/pin';

/** Paths inside the pin directory, relative to it. */
export const PinLayout = {
  header: 'PIN',
  logDir: 'log',
  /** The resource map (resource-map.ts): written by the collector, read by filters. */
  map: 'map',
  rulesDir: 'rules',
  collectorDir: 'collector',
} as const;

export const PIN_FORMAT = 'sentinel-wasi-pin';
export const PIN_VERSION = 1;

export interface PinHeader {
  format: typeof PIN_FORMAT;
  version: typeof PIN_VERSION;
  app: string;
}

const WRITER_ID = /^[a-z0-9_-]{1,32}$/;
const SEGMENT_NAME = /^(\d{1,15})-([a-z0-9_-]{1,32})\.seg$/;

export function isValidWriterId(writer: string): boolean {
  return WRITER_ID.test(writer);
}

/** The bucket (epoch seconds, a multiple of 10) that a write at tsMs belongs to. */
export function bucketSecOf(tsMs: number): number {
  const sec = Math.floor(tsMs / 1000);
  return sec - (sec % BUCKET_SECONDS);
}

/** `<bucketSec>-<writer>.seg`; throws E_BAD_NAME for a writer id or bucket that breaks the rules. */
export function segmentName(bucketSec: number, writer: string): string {
  if (!isValidWriterId(writer)) {
    throw new ProtocolError(ProtocolErrorCode.BAD_NAME, `writer id must match [a-z0-9_-]{1,32}, got ${JSON.stringify(writer)}`);
  }
  if (!Number.isSafeInteger(bucketSec) || bucketSec < 0 || bucketSec % BUCKET_SECONDS !== 0) {
    throw new ProtocolError(ProtocolErrorCode.BAD_NAME, `bucketSec must be a non-negative multiple of ${BUCKET_SECONDS}, got ${bucketSec}`);
  }
  return `${bucketSec}-${writer}${SEGMENT_SUFFIX}`;
}

export interface SegmentId {
  bucketSec: number;
  writer: string;
}

/** Parses a segment file name; null when the name does not follow `<bucketSec>-<writer>.seg`. */
export function parseSegmentName(fileName: string): SegmentId | null {
  const m = SEGMENT_NAME.exec(fileName);
  if (m === null) return null;
  const bucketSec = Number(m[1]);
  if (bucketSec % BUCKET_SECONDS !== 0) return null;
  return { bucketSec, writer: m[2]! };
}

export function makePinHeader(app: string): PinHeader {
  if (typeof app !== 'string' || app.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.BAD_PIN, 'app must be a non-empty string');
  }
  const problem = appNameProblem(app);
  if (problem !== undefined) throw new ProtocolError(ProtocolErrorCode.BAD_PIN, problem);
  return { format: PIN_FORMAT, version: PIN_VERSION, app };
}

/** Longest app name, in UTF-8 bytes: with `-metrics.log.<date>.<roll>.idx` it stays within a file name's 255 bytes. */
export const MAX_APP_NAME_BYTES = 200;

/**
 * Why `app` cannot name a pin's application, or undefined when it can: the collector's metric log
 * files are named after it (`<app with . as ->-metrics.log.<date>`, as Sentinel names them), so it
 * holds no `/` or `\`, no control character, and at most MAX_APP_NAME_BYTES bytes of UTF-8.
 */
export function appNameProblem(app: string): string | undefined {
  if (/[/\\\u0000-\u001f\u007f]/.test(app)) return `app must not hold "/", "\\" or control characters (it names the metric log's files), got ${JSON.stringify(app)}`;
  const bytes = utf8Length(app);
  if (bytes > MAX_APP_NAME_BYTES) return `app must be at most ${MAX_APP_NAME_BYTES} bytes of UTF-8 (it names the metric log's files), got ${bytes}`;
  return undefined;
}

/** Validates a parsed PIN header; throws E_BAD_PIN with the reason. */
export function parsePinHeader(value: unknown): PinHeader {
  if (typeof value !== 'object' || value === null) throw new ProtocolError(ProtocolErrorCode.BAD_PIN, 'PIN is not a JSON object');
  const v = value as Record<string, unknown>;
  if (v.format !== PIN_FORMAT) throw new ProtocolError(ProtocolErrorCode.BAD_PIN, `PIN format is ${JSON.stringify(v.format)}, expected "${PIN_FORMAT}"`);
  if (v.version !== PIN_VERSION) throw new ProtocolError(ProtocolErrorCode.BAD_PIN, `PIN version ${JSON.stringify(v.version)} is not supported (this reader knows ${PIN_VERSION})`);
  if (typeof v.app !== 'string' || v.app.length === 0) throw new ProtocolError(ProtocolErrorCode.BAD_PIN, 'PIN app must be a non-empty string');
  const problem = appNameProblem(v.app);
  if (problem !== undefined) throw new ProtocolError(ProtocolErrorCode.BAD_PIN, `PIN ${problem}`);
  return { format: PIN_FORMAT, version: PIN_VERSION, app: v.app };
}
