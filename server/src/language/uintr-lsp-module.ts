/**
 * The language server's services: Langium's LSP defaults, the .uintr core module, the
 * emulator as a validation category, and the editor features of this folder.
 */
import { inject, type Module, type ValidationChecks } from 'langium';
import {
    createDefaultModule, createDefaultSharedModule, type DefaultSharedModuleContext, type LangiumServices,
    type LangiumSharedServices, type PartialLangiumServices, type PartialLangiumSharedServices,
} from 'langium/lsp';
import type { UintrAstType } from '../syntax/generated/ast.js';
import { UintrGeneratedModule, UintrGeneratedSharedModule } from '../syntax/generated/module.js';
import { UintrModule, type UintrAddedServices } from '../syntax/uintr-module.js';
import { registerValidationChecks } from '../syntax/uintr-validator.js';
import { UintrCodeActionProvider } from './code-action-provider.js';
import { UintrCodeLensProvider } from './code-lens-provider.js';
import { UintrCompletionProvider } from './completion-provider.js';
import { UintrDocumentSymbolProvider } from './document-symbol-provider.js';
import { UintrFormatter } from './formatter.js';
import { UintrSemanticTokenProvider } from './semantic-token-provider.js';
import { UintrDocumentUpdateHandler } from './document-update-handler.js';
import { EMULATION_CATEGORY, EmulationService } from './emulation.js';
import { UintrHoverProvider } from './hover-provider.js';
import { UintrInlayHintProvider } from './inlay-hint-provider.js';
import { UintrRenameProvider } from './rename-provider.js';
import { UintrLspDocumentValidator } from './lsp-document-validator.js';
import { UintrWorkspaceSymbolProvider } from './workspace-symbol-provider.js';
import { UintrWorkspaceManager, type PreludeSource } from './prelude-documents.js';
import { FixChecker } from './fix-checker.js';
import { UintrDocumentBuilder } from './document-builder.js';

export interface UintrLspAddedServices {
    uintr: {
        Emulation: EmulationService;
        FixChecker: FixChecker;
        Prelude: PreludeSource;
    };
}

export type UintrLspServices = LangiumServices & UintrAddedServices & UintrLspAddedServices;

export function createUintrLspModule(prelude: PreludeSource): Module<UintrLspServices, PartialLangiumServices & UintrLspAddedServices> {
    return {
        uintr: {
            Emulation: services => new EmulationService(services, prelude),
            FixChecker: () => new FixChecker(prelude),
            Prelude: () => prelude,
        },
        validation: {
            DocumentValidator: services => new UintrLspDocumentValidator(services),
        },
        lsp: {
            HoverProvider: services => new UintrHoverProvider(services),
            CodeActionProvider: services => new UintrCodeActionProvider(services),
            InlayHintProvider: services => new UintrInlayHintProvider(services),
            CodeLensProvider: services => new UintrCodeLensProvider(services),
            CompletionProvider: services => new UintrCompletionProvider(services),
            DocumentSymbolProvider: () => new UintrDocumentSymbolProvider(),
            Formatter: () => new UintrFormatter(),
            SemanticTokenProvider: services => new UintrSemanticTokenProvider(services),
            RenameProvider: services => new UintrRenameProvider(services),
        },
    };
}

function sharedModule(prelude: PreludeSource): Module<LangiumSharedServices, PartialLangiumSharedServices> {
    return {
        workspace: {
            WorkspaceManager: services => new UintrWorkspaceManager(services, prelude),
            DocumentBuilder: services => new UintrDocumentBuilder(services),
        },
        lsp: {
            DocumentUpdateHandler: services => new UintrDocumentUpdateHandler(services),
            WorkspaceSymbolProvider: services => new UintrWorkspaceSymbolProvider(services),
        },
    };
}

/** Creates the language server's services; the prelude ships at `prelude.path`. */
export function createUintrServices(context: DefaultSharedModuleContext, prelude: PreludeSource): {
    shared: LangiumSharedServices; Uintr: UintrLspServices;
} {
    const shared = inject(createDefaultSharedModule(context), UintrGeneratedSharedModule, sharedModule(prelude));
    const Uintr = inject(createDefaultModule({ shared }), UintrGeneratedModule, UintrModule, createUintrLspModule(prelude));
    shared.ServiceRegistry.register(Uintr);
    registerValidationChecks(Uintr);
    const emulation = Uintr.uintr.Emulation;
    const checks: ValidationChecks<UintrAstType> = { File: (file, accept) => emulation.validate(file, accept) };
    Uintr.validation.ValidationRegistry.register(checks, emulation, EMULATION_CATEGORY);
    return { shared, Uintr };
}
