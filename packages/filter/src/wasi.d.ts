// Owns the TypeScript declarations of the WASI 0.2.12 interfaces the SDK imports (the parts it
// uses). At build time jco componentize binds these module names to the component's imports.

declare module 'wasi:io/streams@0.2.12' {
  export class OutputStream {
    checkWrite(): bigint | number;
    write(contents: Uint8Array): void;
    blockingWriteAndFlush(contents: Uint8Array): void;
    blockingFlush(): void;
  }
  export class InputStream {
    read(len: bigint | number): Uint8Array;
    blockingRead(len: bigint | number): Uint8Array;
  }
}

declare module 'wasi:filesystem/types@0.2.12' {
  import type { OutputStream, InputStream } from 'wasi:io/streams@0.2.12';
  export interface PathFlags { symlinkFollow?: boolean }
  export interface OpenFlags { create?: boolean; directory?: boolean; exclusive?: boolean; truncate?: boolean }
  export interface DescriptorFlags { read?: boolean; write?: boolean; mutateDirectory?: boolean }
  export type Filesize = bigint | number;
  export class Descriptor {
    openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor;
    createDirectoryAt(path: string): void;
    appendViaStream(): OutputStream;
    readViaStream(offset: Filesize): InputStream;
    read(length: Filesize, offset: Filesize): [Uint8Array, boolean];
  }
}

declare module 'wasi:filesystem/preopens@0.2.12' {
  import type { Descriptor } from 'wasi:filesystem/types@0.2.12';
  export function getDirectories(): Array<[Descriptor, string]>;
}

declare module 'wasi:clocks/wall-clock@0.2.12' {
  export interface Datetime { seconds: bigint | number; nanoseconds: number }
  export function now(): Datetime;
}

declare module 'wasi:clocks/monotonic-clock@0.2.12' {
  export function now(): bigint | number;
}
