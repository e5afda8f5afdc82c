/**
 * Module entry for bench/emulator.mjs: the pieces it needs to time parse, static check and
 * emulation separately. Bundled by the bench itself (esbuild JS API) into out/bench-entry.cjs.
 */
export { UintrWorkspace } from '../server/src/syntax/workspace.js';
export { createUintrCoreServices } from '../server/src/syntax/uintr-module.js';
export { lowerProgram } from '../server/src/scenario/program.js';
export { runProgram } from '../server/src/scenario/run.js';
export { checkDocument, staticDiagnostics } from '../server/src/scenario/check.js';
export { URI } from 'langium';
