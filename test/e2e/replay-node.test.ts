// The replay example under the Node host (jco transpile + preview2-shim, atomic appends).
import t from 'tap';
import { hostRunner } from '../helpers/hosts.js';
import { replayScenarios } from '../helpers/replay-scenarios.js';

replayScenarios(t, 'node', hostRunner('node'));
