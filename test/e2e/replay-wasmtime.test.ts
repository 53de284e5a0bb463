// The replay example under the wasmtime engine (the `wasmtime` CLI, or wasmtime-py 49).
import t from 'tap';
import { hostRunner } from '../helpers/hosts.js';
import { replayScenarios } from '../helpers/replay-scenarios.js';

replayScenarios(t, 'wasmtime', hostRunner('wasmtime'));
