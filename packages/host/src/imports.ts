// Owns the import object one component instance gets from the Node host: preview2-shim for
// everything, except the filesystem (atomic appends, only the pin preopened), wasi:cli/exit
// (unwinds to the host instead of ending the process), and the network: sockets are disabled and
// outgoing HTTP requests are denied, so the pin is a filter's only capability. Built fresh for every instance, so no
// instance sees another's preopens, arguments or environment; failed writes to the pin are counted.

import { DEFAULT_GUEST_PIN } from '@sentinel-wasi/protocol/encode';
import { createAppendFilesystem } from './append-fs.js';
import { shimCli, WASIShim } from './shim.js';

/** Thrown through the guest by wasi:cli/exit; the host turns it into the process exit code. */
export class ComponentExit extends Error {
  constructor(readonly exitCode: number) {
    super(`component exited with code ${exitCode}`);
    this.name = 'ComponentExit';
  }
}

export interface InstanceImportsOptions {
  /** Host directory preopened at `guestPin`; undefined gives the guest no filesystem at all. */
  pinDir: string | undefined;
  /** Preopen the pin read-only (every create, write or change fails with not-permitted). */
  pinReadOnly?: boolean;
  /** Where the guest sees the pin (default `/pin`). */
  guestPin?: string;
  /** The guest's argv, argv[0] included. */
  args: string[];
  /** The guest's environment (nothing from the host's unless put here). */
  env: Record<string, string>;
  /** Replaces the shim's wasi:cli/stderr (mapped-stderr.ts: the filter's lines in its errors). */
  stderr?: { getStderr(): unknown };
}

/** wasi:http/outgoing-handler that refuses every request (error-code HTTP-request-denied). */
const deniedOutgoingHttp = {
  handle(): never {
    throw { tag: 'HTTP-request-denied' };
  },
};

const hostExit = {
  exit(status: { tag: 'ok' | 'err' }): never {
    throw new ComponentExit(status.tag === 'err' ? 1 : 0);
  },
  exitWithCode(code: number): never {
    throw new ComponentExit(code);
  },
};

/** Writes to the pin that failed (a missing pin, a read-only pin, a full disk), by error code. */
export class PinWriteFailures {
  total = 0;
  readonly byCode: Record<string, number> = {};

  add(code: string): void {
    this.total++;
    this.byCode[code] = (this.byCode[code] ?? 0) + 1;
  }

  /** `no-entry 3, not-permitted 1` */
  describe(): string {
    return Object.entries(this.byCode)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
  }
}

export interface InstanceImports {
  imports: Record<string, unknown>;
  /** What this instance failed to write to its pin (it drops and counts it too). */
  pinWriteFailures: PinWriteFailures;
}

export function instanceImports(options: InstanceImportsOptions, pinWriteFailures: PinWriteFailures = new PinWriteFailures()): InstanceImports {
  const preopens: Record<string, string> = options.pinDir === undefined ? {} : { [options.guestPin ?? DEFAULT_GUEST_PIN]: options.pinDir };
  const shim = new WASIShim({
    cli: { ...shimCli, exit: hostExit, ...(options.stderr === undefined ? {} : { stderr: options.stderr }) },
    filesystem: createAppendFilesystem({ readOnly: options.pinReadOnly ?? false, filterView: true, onWriteFailure: (code) => pinWriteFailures.add(code) }),
    sandbox: { preopens, env: options.env, args: options.args, enableNetwork: false },
  } as never);
  const imports = shim.getImportObject() as Record<string, unknown>;
  imports['wasi:http/outgoing-handler'] = deniedOutgoingHttp;
  return { imports, pinWriteFailures };
}
