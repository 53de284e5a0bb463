// Owns the filter SDK's public entry point (filled in by the filter SDK work).

export { FrameBuilder } from '@sentinel-wasi/protocol/encode';
