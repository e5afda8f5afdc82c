/**
 * A code lens on the scenario: counts of steps, faults, hazards, races with a counterexample
 * (each names its codes in its own diagnostic), XSAVES/XRSTORS, and
 * "Compare policies" (the client runs the `uintr.comparePolicies` command).
 */
import type { LangiumDocument, MaybePromise } from 'langium';
import type { CodeLensProvider, LangiumServices } from 'langium/lsp';
import type { CodeLens, CodeLensParams } from 'vscode-languageserver';
import * as ast from '../syntax/generated/ast.js';
import { isPreludeOrCopy } from '../syntax/prelude-uri.js';
import type { EmulationService } from './emulation.js';
import type { UintrLspServices } from './uintr-lsp-module.js';

const FAULTS = new Set(['xrstors-gp', 'senduipi-gp', 'wrmsr-gp', 'ud', 'upid-use-after-free', 'misdelivered']);
const HAZARDS = new Set(['notification-lost', 'stale-uinv', 'xsaves-clobbers-image', 'never-delivered']);

export class UintrCodeLensProvider implements CodeLensProvider {
    private readonly emulation: EmulationService;

    constructor(services: LangiumServices) {
        this.emulation = (services as UintrLspServices).uintr.Emulation;
    }

    provideCodeLens(document: LangiumDocument, _params: CodeLensParams): MaybePromise<CodeLens[] | undefined> {
        // the built-in policies (opened by go-to-definition) are not a scenario: nothing to count or compare
        if (isPreludeOrCopy(document.uri.toString(), document.textDocument.getText())) return [];
        const file = document.parseResult.value as ast.File;
        const anchor = file.$cstNode?.range.start ?? { line: 0, character: 0 };
        const range = { start: anchor, end: anchor };
        const em = this.emulation.resultFor(document);
        const uri = document.uri.toString();
        const lenses: CodeLens[] = [];
        if (em?.result.run) {
            const ds = em.result.diagnostics.filter(d => d.severity !== 'information');
            const faults = ds.filter(d => FAULTS.has(d.code)).length;
            const hazards = ds.filter(d => HAZARDS.has(d.code)).length;
            // what races find is one race-counterexample per race line, whatever codes it names
            const races = em.result.run.races.length;
            const racing = ds.filter(d => d.code === 'race-counterexample' && d.severity === 'error').length;
            const raceText = races ? ` · ${racing} of ${races} race${races === 1 ? '' : 's'} with a counterexample` : '';
            const c = em.result.run.countsAsWritten(); // a file with races: as written (as --stats)
            const title = `${em.result.steps} steps · ${faults} fault${faults === 1 ? '' : 's'} · ${hazards} hazard${hazards === 1 ? '' : 's'}${raceText} · ` +
                `${c.xsaves} XSAVES / ${c.xrstors} XRSTORS · policy ${em.result.run.policy}`;
            lenses.push({ range, command: { title, command: 'uintr.showTrace', arguments: [uri] } });
        } else {
            lenses.push({ range, command: { title: 'not emulated: fix the static errors first', command: '' } });
        }
        lenses.push({ range, command: { title: 'Compare policies', command: 'uintr.comparePolicies', arguments: [uri] } });
        return lenses;
    }
}
