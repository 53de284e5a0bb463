// Owns the SDK's misuse errors. Only programmer misuse throws (an empty resource name, a negative
// count, exiting an entry twice, bad options); runtime faults (pin missing, disk full, a failed
// write) never throw: they drop records and count them.

export const FilterErrorCode = {
  /** A resource/origin name, count, time or response time that breaks the rules. */
  BAD_ARGUMENT: 'E_BAD_ARGUMENT',
  /** Bad SDK options: writer id, pin path, frame size. */
  BAD_OPTION: 'E_BAD_OPTION',
  /** `exit()` called a second time on the same entry. */
  ALREADY_EXITED: 'E_ALREADY_EXITED',
  /** One record cannot fit in an empty frame of the recorder's maxFrameBytes (a long name with a small frame). */
  RECORD_TOO_LARGE: 'E_RECORD_TOO_LARGE',
} as const;

export type FilterErrorCode = (typeof FilterErrorCode)[keyof typeof FilterErrorCode];

export class FilterError extends Error {
  readonly code: FilterErrorCode;
  constructor(code: FilterErrorCode, message: string) {
    // (The encoder's misuse errors come here too, with the same codes: frameBuilderError.)
    super(`${code}: ${message}`);
    this.name = 'FilterError';
    this.code = code;
  }
}

/** The encoder's misuse errors as FilterErrors (its codes are a subset of the SDK's). */
export function frameBuilderError(code: string, message: string): Error {
  return new FilterError(code === FilterErrorCode.RECORD_TOO_LARGE ? FilterErrorCode.RECORD_TOO_LARGE : FilterErrorCode.BAD_ARGUMENT, message);
}
