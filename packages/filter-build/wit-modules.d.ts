// For filters built against their own world (`sentinel-wasi build --wit`) without a tsconfig.json:
// any `wasi:*` module the SDK's declarations do not cover is accepted, untyped. The SDK's own
// declarations (exact module names) take precedence over this pattern.
declare module 'wasi:*';
