/**
 * Module entry for bench/emulator.mjs and bench/races.mjs: the pieces they need to time parse,
 * static check, emulation and race exploration separately. Bundled by the benches themselves
 * (esbuild JS API) into out/bench-entry.cjs.
 */
export { UintrWorkspace } from '../server/src/syntax/workspace.js';
export { createUintrCoreServices } from '../server/src/syntax/uintr-module.js';
export { lowerProgram } from '../server/src/scenario/program.js';
export { runProgram, ProgramRun } from '../server/src/scenario/run.js';
export { checkDocument, staticDiagnostics } from '../server/src/scenario/check.js';
export { URI } from 'langium';
