// Owns the declarations of the WASI 0.2.12 interfaces the gateway imports (the parts it uses).

declare module 'wasi:io/streams@0.2.12' {
  export class OutputStream {
    blockingWriteAndFlush(contents: Uint8Array): void;
    [Symbol.dispose](): void;
  }
  export class InputStream {
    blockingRead(len: bigint | number): Uint8Array;
  }
}
declare module 'wasi:http/types@0.2.12' {
  import type { OutputStream } from 'wasi:io/streams@0.2.12';
  export type Method =
    | { tag: 'get' | 'head' | 'post' | 'put' | 'delete' | 'connect' | 'options' | 'trace' | 'patch' }
    | { tag: 'other'; val: string };
  export class Fields {
    constructor();
    append(name: string, value: Uint8Array): void;
  }
  export class IncomingRequest {
    method(): Method;
    pathWithQuery(): string | undefined;
  }
  export class OutgoingBody {
    write(): OutputStream;
    static finish(body: OutgoingBody, trailers: Fields | undefined): void;
  }
  export class OutgoingResponse {
    constructor(headers: Fields);
    setStatusCode(status: number): void;
    body(): OutgoingBody;
  }
  export class ResponseOutparam {
    static set(param: ResponseOutparam, response: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: unknown }): void;
  }
}
declare module 'wasi:cli/stdin@0.2.12' {
  import type { InputStream } from 'wasi:io/streams@0.2.12';
  export function getStdin(): InputStream;
}
declare module 'wasi:cli/stdout@0.2.12' {
  import type { OutputStream } from 'wasi:io/streams@0.2.12';
  export function getStdout(): OutputStream;
}
declare module 'wasi:cli/stderr@0.2.12' {
  import type { OutputStream } from 'wasi:io/streams@0.2.12';
  export function getStderr(): OutputStream;
}
