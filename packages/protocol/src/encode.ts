// Owns the filter-side entry point: everything a writer needs (frame builder, naming, constants),
// the resource map layout (read by filters), and nothing that pulls in a decoder, so component
// bundles stay small.

export * from './constants.js';
export * from './errors.js';
export * from './crc32.js';
export * from './utf8.js';
export * from './frame-builder.js';
export * from './naming.js';
export * from './resource-map.js';
