// Owns the declarations of the wasi:cli 0.2.12 interfaces this command imports.

declare module 'wasi:cli/environment@0.2.12' {
  export function getArguments(): string[];
}
declare module 'wasi:cli/stdin@0.2.12' {
  import type { InputStream } from 'wasi:io/streams@0.2.12';
  export function getStdin(): InputStream;
}
declare module 'wasi:cli/stderr@0.2.12' {
  import type { OutputStream } from 'wasi:io/streams@0.2.12';
  export function getStderr(): OutputStream;
}
declare module 'wasi:io/streams@0.2.12' {
  export class OutputStream {
    blockingWriteAndFlush(contents: Uint8Array): void;
  }
  export class InputStream {
    blockingRead(len: bigint | number): Uint8Array;
  }
}
