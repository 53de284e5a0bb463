// Owns describing a failure that escapes a component's export call (wasi:cli/run's run, an HTTP
// handler's handle) as one line with a stable code: wasi:cli/run's error result (E_RUN_ERROR: a
// command() body that returned false or threw, or an error the engine turned into one) or a trap (E_TRAP:
// a wasm trap, such as `unreachable` or an out-of-bounds access, or an error the host's glue threw).

export interface GuestFailure {
  code: 'E_RUN_ERROR' | 'E_TRAP';
  /** `RuntimeError: wasm trap: ...`, or what wasi:cli/run's error result means. */
  text: string;
}

export function describeGuestFailure(err: unknown): GuestFailure {
  // jco's ComponentError (its name stays 'Error'): the export returned its error result.
  if (err instanceof Error && err.constructor.name === 'ComponentError' && 'payload' in err) {
    return {
      code: 'E_RUN_ERROR',
      text: 'wasi:cli/run returned an error (a command() body that returned false or threw, or a thrown error the engine turned into one)',
    };
  }
  if (err instanceof Error) return { code: 'E_TRAP', text: `${err.name}: ${err.message}` };
  // An error code a host function threw where the guest could not take it as a result (the shim's
  // { tag: 'invalid-syntax' }): shown as it is, not as '[object Object]'.
  if (typeof err === 'object' && err !== null) return { code: 'E_TRAP', text: `a host call failed with ${safeJson(err)}` };
  return { code: 'E_TRAP', text: String(err) };
}

function safeJson(value: object): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
