// Builds every example filter into examples/<name>/dist/<name>.wasm (filled in by the filter issue).
console.log('build-examples: no examples yet');
