// Owns the protocol's stable error codes and the error class that carries them.
// Codes are part of the public contract: tests, logs and the collector's health counters use them.

export const ProtocolErrorCode = {
  /** A byte where a frame should start is not the 0xC1 marker. */
  MARKER: 'E_MARKER',
  /** The frame version byte is neither 1 nor 2. */
  VERSION: 'E_VERSION',
  /** The payload length is 0 or larger than a frame may carry. */
  LENGTH: 'E_LENGTH',
  /** The payload's CRC-32 does not match the header. */
  CRC: 'E_CRC',
  /** The payload is not valid msgpack, or is not `[uint, [string...], ...records]` (version 2: `[uint, uint, [string | id...], ...records]`). */
  PAYLOAD: 'E_PAYLOAD',
  /** A sealed segment ends with an incomplete frame. */
  TRUNCATED: 'E_TRUNCATED',
  /** A record is not an array of the shape its kind requires. */
  RECORD_SHAPE: 'E_RECORD_SHAPE',
  /** A record field has the wrong type or a value out of range (negative, not an integer, zero count). */
  RECORD_VALUE: 'E_RECORD_VALUE',
  /** A record's name or origin index points outside the frame's name table. */
  NAME_INDEX: 'E_NAME_INDEX',
  /**
   * A record's name (or origin) is a resource id the reader cannot resolve: no id table of the
   * frame's map epoch, or no such id in it. The record is rejected, never given another name.
   */
  RESOURCE_ID: 'E_RESOURCE_ID',
  /** A record kind this reader does not know (skipped and counted, not an error of the frame). */
  UNKNOWN_KIND: 'E_UNKNOWN_KIND',
  /** Encoder misuse: a name longer than MAX_NAME_BYTES, an empty name, a bad number. */
  BAD_ARGUMENT: 'E_BAD_ARGUMENT',
  /** Encoder misuse: a single record that cannot fit in an empty frame. */
  RECORD_TOO_LARGE: 'E_RECORD_TOO_LARGE',
  /** A segment file name or writer id that does not follow the naming rules. */
  BAD_NAME: 'E_BAD_NAME',
  /** A PIN header that is missing fields or names another format or version. */
  BAD_PIN: 'E_BAD_PIN',
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** `message` without a leading `<code>: ` (an error that begins with its code, for a caller that says the code itself, once, at the end). */
export function withoutCodePrefix(message: string, code: string): string {
  return message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
}

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  /** The message without its leading code (for a caller that prints the code itself). */
  readonly reason: string;
  constructor(code: ProtocolErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ProtocolError';
    this.code = code;
    this.reason = message;
  }
}
