// Types of bench/ring.mjs, for the TypeScript tests that use it.
export interface RingOptions {
    readonly policy?: string;
    readonly title?: boolean;
    readonly expects?: number;
}
export function ringLines(n: number, l: number, options?: RingOptions): string[];
export function ring(n: number, l: number, options?: RingOptions): string;
