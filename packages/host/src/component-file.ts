// Owns recognising a component file by its first 8 bytes before jco sees it: the WebAssembly magic
// (\0asm) and the version and layer bytes (a component: 0d 00 01 00; a core module: 01 00 00 00).
// A source file, a source map or a core module is refused here with its own code and one line,
// instead of a transpile error that echoes the input. A file that cannot be read at all is
// E_COMPONENT_READ, with the system's reason (componentReadMessage).

import { fsReason } from '@sentinel-wasi/protocol/node';

export const WASM_HEADER_BYTES = 8;
const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const COMPONENT_VERSION = [0x0d, 0x00, 0x01, 0x00];
const CORE_VERSION = [0x01, 0x00, 0x00, 0x00];

const BUILD_HINT = 'build the filter with sentinel-wasi build <filter.ts> -o <out.wasm>';

export interface HeaderProblem {
  code: 'E_NOT_WASM' | 'E_NOT_COMPONENT';
  message: string;
}

const startsWith = (bytes: Uint8Array, prefix: number[]): boolean => prefix.every((b, i) => bytes[i] === b);
const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** Why the file whose first bytes (at most WASM_HEADER_BYTES) are `head` is not a component, or undefined when it may be one. */
export function headerProblem(path: string, head: Uint8Array): HeaderProblem | undefined {
  if (head.length < MAGIC.length || !startsWith(head, MAGIC)) {
    return { code: 'E_NOT_WASM', message: `${path} is not a WebAssembly file (it does not start with \\0asm): ${BUILD_HINT} and run the .wasm it writes` };
  }
  if (head.length < WASM_HEADER_BYTES) {
    return { code: 'E_NOT_WASM', message: `${path} is cut short: it starts with \\0asm but ends after ${head.length} bytes, before its version bytes` };
  }
  const version = head.subarray(MAGIC.length, WASM_HEADER_BYTES);
  if (startsWith(version, COMPONENT_VERSION)) return undefined;
  if (startsWith(version, CORE_VERSION)) {
    return {
      code: 'E_NOT_COMPONENT',
      message:
        `${path} is a core WebAssembly module, not a component (its version bytes are ${hex(version)}; a component's are ${hex(new Uint8Array(COMPONENT_VERSION))}): ` +
        `${BUILD_HINT}, or make a component of the module with wasm-tools component new`,
    };
  }
  return {
    code: 'E_NOT_COMPONENT',
    message: `${path} is WebAssembly of a version or layer this host does not run (its version bytes are ${hex(version)}; a component's are ${hex(new Uint8Array(COMPONENT_VERSION))})`,
  };
}

/** E_COMPONENT_READ's message: `cannot read component <path>: <the system's reason>`. */
export function componentReadMessage(path: string, err: unknown): string {
  return `cannot read component ${path}: ${fsReason(err)}`;
}
