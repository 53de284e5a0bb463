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
} as const;

export type FilterErrorCode = (typeof FilterErrorCode)[keyof typeof FilterErrorCode];

export class FilterError extends Error {
  readonly code: FilterErrorCode;
  constructor(code: FilterErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'FilterError';
    this.code = code;
  }
}
