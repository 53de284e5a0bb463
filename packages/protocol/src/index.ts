// Owns the package's main, platform-neutral entry point: the encoder side plus the scanner and
// record validation used by readers. Only platform-neutral JavaScript here (no Node built-ins).

export * from './encode.js';
export * from './records.js';
export * from './scanner.js';
export * from './events.js';
export * from './frame-stamps.js';
