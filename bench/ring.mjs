// The ring-of-races family, shared by bench/races.mjs, bench/lsp.mjs and test/lsp-races.test.ts.
//
// ring(N, L): N CPUs in a ring. cpu i runs receiver r_i; in the race, cpu i's branch switches
// to sender s_i (UITT entry 0 -> r_{(i+1) mod N}, vector i), sends, switches to kthread k_i and
// back to r_i, L times. N = 3, L = 2 is tens of thousands of states under linux_rfc.

/**
 * The scenario's lines. Options: `policy` (default linux_rfc), `title` (a `scenario` line
 * first), `expects` (that many `expect no lost` lines after the race; default 0).
 */
export function ringLines(n, l, { policy = 'linux_rfc', title = false, expects = 0 } = {}) {
    const lines = title ? [`scenario "ring ${n} x ${l}"`] : [];
    lines.push(`machine { cpus ${n} policy ${policy} }`);
    for (let i = 0; i < n; i++) lines.push(`task r${i} { handler 0x401000 ndst ${i} }`);
    for (let i = 0; i < n; i++) lines.push(`task s${i} { target r${(i + 1) % n} vector ${i % 64} }`);
    for (let i = 0; i < n; i++) lines.push(`kthread k${i}`);
    for (let i = 0; i < n; i++) lines.push(`cpu${i}: switch r${i}`);
    for (let i = 0; i < n; i++) {
        lines.push(i === 0 ? 'race {' : '} with {');
        for (let k = 0; k < l; k++) {
            lines.push(`  cpu${i}: switch s${i}`, `  cpu${i}: senduipi 0`, `  cpu${i}: switch k${i}`, `  cpu${i}: switch r${i}`);
        }
    }
    lines.push('}');
    for (let i = 0; i < expects; i++) lines.push('expect no lost');
    return lines;
}

/** The scenario's text (see {@link ringLines}). */
export function ring(n, l, options = {}) {
    return ringLines(n, l, options).join('\n') + '\n';
}
