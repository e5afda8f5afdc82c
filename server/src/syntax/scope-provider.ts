/**
 * Scopes as Langium's default provider makes them (a document's local symbols, container by
 * container, then the global scope), but each level's names in a map made once per build:
 * Langium's scope searches a stream of the level's symbols for every reference, so a file
 * with 30,000 declarations and as many references took 20 s to link.
 */
import { DefaultScopeProvider, stream, AstUtils, type AstNode, type AstNodeDescription, type LocalSymbols, type ReferenceInfo, type Scope, type Stream } from 'langium';

/** One level of local symbols of one reference type; the first of equal names wins, as in Langium's stream scope. */
class LevelScope implements Scope {
    private readonly byName = new Map<string, AstNodeDescription[]>();

    constructor(private readonly elements: readonly AstNodeDescription[], readonly outer: Scope) {
        for (const e of elements) {
            const list = this.byName.get(e.name);
            if (list) list.push(e);
            else this.byName.set(e.name, [e]);
        }
    }

    getElement(name: string): AstNodeDescription | undefined {
        return this.byName.get(name)?.[0] ?? this.outer.getElement(name);
    }

    getElements(name: string): Stream<AstNodeDescription> {
        return stream(this.byName.get(name) ?? []).concat(this.outer.getElements(name));
    }

    getAllElements(): Stream<AstNodeDescription> {
        return stream(this.elements).concat(this.outer.getAllElements());
    }
}

export class UintrScopeProvider extends DefaultScopeProvider {
    /** Per build's local symbols: per container and reference type, the level's scope. */
    private readonly levels = new WeakMap<LocalSymbols, Map<AstNode, Map<string, LevelScope>>>();

    override getScope(context: ReferenceInfo): Scope {
        const referenceType = this.reflection.getReferenceType(context);
        let result = this.getGlobalScope(referenceType, context);
        const local = AstUtils.getDocument(context.container).localSymbols;
        if (!local) return result;
        const containers: AstNode[] = [];
        for (let n: AstNode | undefined = context.container; n; n = n.$container) if (local.has(n)) containers.push(n);
        for (let i = containers.length - 1; i >= 0; i--) result = this.levelScope(local, containers[i], referenceType, result);
        return result;
    }

    private levelScope(local: LocalSymbols, container: AstNode, referenceType: string, outer: Scope): Scope {
        let byContainer = this.levels.get(local);
        if (!byContainer) this.levels.set(local, byContainer = new Map());
        let byType = byContainer.get(container);
        if (!byType) byContainer.set(container, byType = new Map());
        let scope = byType.get(referenceType);
        // the outer scope is the global one (remade when the workspace changes) or a level above
        if (!scope || scope.outer !== outer) {
            const elements = local.getStream(container).filter(d => this.reflection.isSubtype(d.type, referenceType)).toArray();
            byType.set(referenceType, scope = new LevelScope(elements, outer));
        }
        return scope;
    }
}
