#!/usr/bin/env node
// Real-editor end-to-end test: the packaged extension (uintr-lab.vsix) inside code-server,
// driven through Debian's chromium with playwright-core.
//
//   bash test/e2e/setup.sh && node test/e2e/run.mjs      (= npm run test:e2e)
//
// Checks: diagnostics in the Problems panel (code xrstors-gp at Ln 12), the inline squiggle
// (screenshot saved to docs/screenshot-inline-gp.png), the hover on a step (UINV row), the
// quick fix on line 12 applied through Ctrl+. and, after Ctrl+S, the problem disappearing; the
// command UINTR: Show trace on an unsaved file opening its table beside it.
// Prints `ok - …` / `not ok - …` per check and a closing `N passed, M failed` line; exits 1 on
// any failure. A check that cannot run counts as failed.
//
// Environment knobs:
//   UINTR_E2E_SKIP_PACKAGE=1  use the existing uintr-lab.vsix instead of `npm run package`
//   UINTR_E2E_KEEP=1          keep the temp dir (logs, profile) even when everything passed
//   UINTR_E2E_HEADED=1        show the browser window (needs a display)
//   UINTR_E2E_VERBOSE=1       start code-server with --verbose
//   UINTR_E2E_TIMEOUT_S=240   overall time limit in seconds
//   UINTR_E2E_TRACE=1         log the LSP traffic ("uintr.trace.server": "messages") to the UINTR channel
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const NODE24 = path.join(HERE, 'node24', 'node_modules', 'node', 'bin', 'node');
const EDITOR_DIR = path.join(HERE, 'editor');
const CODE_SERVER = path.join(EDITOR_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = '/usr/bin/chromium';
const VSIX = path.join(ROOT, 'uintr-lab.vsix');
const EXAMPLE = path.join(ROOT, 'examples', 'xrstors-twice.uintr');
const FILE_NAME = 'xrstors-twice.uintr';
const SCREENSHOT = path.join(ROOT, 'docs', 'screenshot-inline-gp.png');
const OVERALL_TIMEOUT_MS = (Number(process.env.UINTR_E2E_TIMEOUT_S) || 240) * 1000;
const STEP_TIMEOUT_MS = 45_000;

const EXPECTED_CODE = 'xrstors-gp';
const EXPECTED_MESSAGE = 'XRSTORS rx would #GP: UINV is 0xec, not 0';
// Quick fixes for xrstors-gp on line 12, in order of preference (the first is the one the design names).
const FIX_TITLES = [/^Insert 'xsaves rx' before it/, /^Insert a WRMSR of IA32_UINTR_MISC that clears UINV/];

// ---------------------------------------------------------------------------------------------
// reporting

const results = [];
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);

function report(ok, name, detail) {
  results.push({ ok, name });
  const line = `${ok ? 'ok' : 'not ok'} - ${name}${detail ? ` (${detail})` : ''} [${secs()}s]`;
  console.log(line);
}

class Abort extends Error {}

/** Runs one check. `critical` failures stop the run (the remaining checks count as failed). */
async function check(name, fn, { critical = false } = {}) {
  if (state.aborted) {
    report(false, name, `not run: ${state.aborted}`);
    return undefined;
  }
  try {
    const detail = await fn();
    report(true, name, typeof detail === 'string' ? detail : undefined);
    return detail ?? true;
  } catch (err) {
    const msg = String(err?.message ?? err).split('\n')[0].slice(0, 400);
    report(false, name, msg);
    await saveFailureScreenshot(name);
    if (critical) state.aborted = `earlier check failed: ${name}`;
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// state + cleanup

const state = {
  aborted: undefined,
  tmp: undefined,
  server: undefined, // ChildProcess (detached: own process group)
  serverLog: undefined,
  browser: undefined,
  page: undefined,
  failShots: 0,
  cleanedUp: false,
};

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000}s: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function killServerGroupSync(signal) {
  const pid = state.server?.pid;
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

async function cleanup() {
  if (state.cleanedUp) return;
  state.cleanedUp = true;
  if (state.browser) {
    await withTimeout(state.browser.close(), 10_000, 'browser.close').catch((err) =>
      console.log(`# browser.close failed: ${err.message}`),
    );
  }
  const pid = state.server?.pid;
  if (pid) {
    killServerGroupSync('SIGTERM');
    const until = Date.now() + 5000;
    while (groupAlive(pid) && Date.now() < until) await sleep(100);
    if (groupAlive(pid)) killServerGroupSync('SIGKILL');
    const until2 = Date.now() + 3000;
    while (groupAlive(pid) && Date.now() < until2) await sleep(100);
  }
}

// Last resort if the process exits some other way.
process.on('exit', () => killServerGroupSync('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log(`# received ${sig}, stopping code-server`);
    killServerGroupSync('SIGKILL');
    process.exit(1);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function saveFailureScreenshot(name) {
  if (!state.page || !state.tmp) return;
  try {
    const file = path.join(state.tmp, `failure-${++state.failShots}.png`);
    await withTimeout(state.page.screenshot({ path: file }), 10_000, 'screenshot');
    console.log(`# screenshot after failed check "${name}": ${file}`);
  } catch {
    /* best effort */
  }
}

// ---------------------------------------------------------------------------------------------
// helpers: processes

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function serverEnv() {
  const home = path.join(state.tmp, 'home');
  return {
    ...process.env,
    PATH: `${path.dirname(NODE24)}:${process.env.PATH}`,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    // code-server must not pick these up from a surrounding VS Code / code-server session.
    VSCODE_IPC_HOOK_CLI: '',
    VSCODE_PROXY_URI: '',
  };
}

function commonServerArgs() {
  return [
    '--config', path.join(state.tmp, 'config.yaml'),
    '--user-data-dir', path.join(state.tmp, 'user-data'),
    '--extensions-dir', path.join(state.tmp, 'extensions'),
  ];
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function findFiles(dir, pred, out = []) {
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findFiles(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

function dumpDiagnostics() {
  if (!state.tmp) return;
  console.log(`# --- code-server log (tail): ${state.serverLog}`);
  console.log(tail(state.serverLog, 40).replace(/^/gm, '# '));
  const logs = findFiles(path.join(state.tmp, 'user-data', 'logs'), (p) =>
    /exthost\.log$|UINTR|uintr/i.test(path.basename(p)),
  );
  for (const f of logs) {
    console.log(`# --- ${path.relative(state.tmp, f)} (tail)`);
    console.log(tail(f, 30).replace(/^/gm, '# '));
  }
}

// ---------------------------------------------------------------------------------------------
// helpers: editor DOM

const EDITOR = '.part.editor .editor-instance .monaco-editor';

/** Text of every rendered line of the active editor, keyed by line number. */
async function editorLines(page) {
  return page.evaluate((sel) => {
    const ed = document.querySelector(sel);
    if (!ed) return {};
    const nums = [...ed.querySelectorAll('.margin-view-overlays .line-numbers')];
    const lines = [...ed.querySelectorAll('.view-lines .view-line')];
    const out = {};
    for (const n of nums) {
      const top = n.getBoundingClientRect().top;
      const line = lines.find((l) => Math.abs(l.getBoundingClientRect().top - top) < 3);
      if (line) out[n.textContent.trim()] = line.textContent.replace(/\u00a0/g, ' ');
    }
    return out;
  }, EDITOR);
}

/** Viewport rectangle of `word` on editor line `lineNo` (1-based), measured with a DOM Range. */
async function wordRect(page, lineNo, word) {
  const rect = await page.evaluate(
    ([sel, lineNo, word]) => {
      const ed = document.querySelector(sel);
      if (!ed) return null;
      const num = [...ed.querySelectorAll('.margin-view-overlays .line-numbers')].find(
        (n) => n.textContent.trim() === String(lineNo),
      );
      if (!num) return null;
      const top = num.getBoundingClientRect().top;
      const line = [...ed.querySelectorAll('.view-lines .view-line')].find(
        (l) => Math.abs(l.getBoundingClientRect().top - top) < 3,
      );
      if (!line) return null;
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      let offset = 0;
      const full = line.textContent.replace(/\u00a0/g, ' ');
      const at = full.indexOf(word);
      if (at < 0) return null;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const len = node.textContent.length;
        if (at < offset + len) {
          const range = document.createRange();
          const start = at - offset;
          range.setStart(node, start);
          range.setEnd(node, Math.min(len, start + word.length));
          const r = range.getBoundingClientRect();
          return { x: r.left, y: r.top, width: r.width, height: r.height };
        }
        offset += len;
      }
      return null;
    },
    [EDITOR, lineNo, word],
  );
  if (!rect || rect.width === 0) throw new Error(`"${word}" not rendered on line ${lineNo}`);
  return rect;
}

async function waitFor(what, fn, timeout = STEP_TIMEOUT_MS, interval = 250) {
  const until = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeout / 1000}s waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await sleep(interval);
  }
}

const codeLens = (page) =>
  page.$$eval(`${EDITOR} .codelens-decoration`, (els) => els.map((e) => e.innerText.replace(/\s+/g, ' ')).join(' | '));

const problemRows = (page) =>
  page.$$eval('.markers-panel .monaco-list-row', (rows) =>
    rows.map((r) => `${r.getAttribute('aria-label') ?? ''} || ${r.innerText.replace(/\s+/g, ' ')}`),
  );

// ---------------------------------------------------------------------------------------------
// the test

async function main() {
  state.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uintr-e2e-'));
  state.serverLog = path.join(state.tmp, 'code-server.log');
  console.log(`# temp dir: ${state.tmp}`);

  await check(
    'e2e toolchain installed (Node 24, code-server, playwright-core, chromium)',
    async () => {
      const missing = [NODE24, CODE_SERVER, CHROMIUM].filter((p) => !fs.existsSync(p));
      if (missing.length) throw new Error(`missing ${missing.join(', ')}; run bash test/e2e/setup.sh`);
      const v = spawnSync(NODE24, ['-v'], { encoding: 'utf8' }).stdout.trim();
      if (!v.startsWith('v24.')) throw new Error(`node24 reports ${v}`);
      createRequire(path.join(EDITOR_DIR, 'package.json')).resolve('playwright-core');
      return `node ${v}`;
    },
    { critical: true },
  );

  await check(
    process.env.UINTR_E2E_SKIP_PACKAGE ? 'uintr-lab.vsix exists' : 'npm run package builds uintr-lab.vsix',
    async () => {
      if (!process.env.UINTR_E2E_SKIP_PACKAGE) {
        const before = fs.existsSync(VSIX) ? fs.statSync(VSIX).mtimeMs : 0;
        const r = spawnSync('npm', ['run', 'package'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
        if (r.status !== 0) {
          throw new Error(`npm run package exited ${r.status ?? r.signal}: ${(r.stdout + r.stderr).trim().split('\n').slice(-5).join(' | ')}`);
        }
        if (!fs.existsSync(VSIX) || fs.statSync(VSIX).mtimeMs <= before) throw new Error('uintr-lab.vsix not (re)written');
      } else if (!fs.existsSync(VSIX)) {
        throw new Error(`${VSIX} not found`);
      }
      return `${Math.round(fs.statSync(VSIX).size / 1024)} KB`;
    },
    { critical: true },
  );

  // fresh profile, extensions dir and workspace
  const ws = path.join(state.tmp, 'workspace');
  const wsFile = path.join(ws, FILE_NAME);
  for (const d of ['home', 'user-data/User', 'extensions', 'workspace']) fs.mkdirSync(path.join(state.tmp, d), { recursive: true });
  fs.copyFileSync(EXAMPLE, wsFile);
  fs.writeFileSync(path.join(state.tmp, 'config.yaml'), 'auth: none\ncert: false\n');
  fs.writeFileSync(
    path.join(state.tmp, 'user-data', 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'security.workspace.trust.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'update.mode': 'none',
        'chat.disableAIFeatures': true,
        'files.autoSave': 'off',
        'editor.hover.delay': 300,
        'editor.minimap.enabled': false,
        'window.confirmBeforeClose': 'never',
        ...(process.env.UINTR_E2E_TRACE ? { 'uintr.trace.server': 'messages' } : {}),
      },
      null,
      2,
    ),
  );

  await check(
    'code-server --install-extension uintr-lab.vsix',
    async () => {
      const r = spawnSync(NODE24, [CODE_SERVER, ...commonServerArgs(), '--install-extension', VSIX], {
        encoding: 'utf8',
        env: serverEnv(),
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out = `${r.stdout}\n${r.stderr}`;
      if (r.status !== 0 || !/successfully installed/i.test(out)) {
        throw new Error(`exit ${r.status ?? r.signal}: ${out.trim().split('\n').slice(-3).join(' | ')}`);
      }
      const installed = fs.readdirSync(path.join(state.tmp, 'extensions')).filter((d) => d.startsWith('uintr-lab.'));
      if (!installed.length) throw new Error('no uintr-lab.* folder in the extensions dir');
      return installed.join(', ');
    },
    { critical: true },
  );

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  await check(
    'code-server starts on a free 127.0.0.1 port',
    async () => {
      const logFd = fs.openSync(state.serverLog, 'a');
      const args = [
        CODE_SERVER,
        ...commonServerArgs(),
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        ...(process.env.UINTR_E2E_VERBOSE ? ['--verbose', '--log', 'trace'] : []),
        ws,
      ];
      state.server = spawn(NODE24, args, { detached: true, stdio: ['ignore', logFd, logFd], env: serverEnv() });
      fs.closeSync(logFd);
      let exited;
      state.server.on('exit', (code, sig) => (exited = `exited with ${code ?? sig}`));
      await waitFor('GET /healthz', async () => {
        if (exited) throw new Abort(`code-server ${exited}: ${tail(state.serverLog, 5)}`);
        const res = await fetch(`${base}/healthz`).catch(() => undefined);
        return res?.ok;
      }, 30_000);
      return `port ${port}, pid ${state.server.pid}`;
    },
    { critical: true },
  );

  const { chromium } = createRequire(path.join(EDITOR_DIR, 'package.json'))('playwright-core');
  let page;

  await check(
    'workbench loads in chromium with the workspace folder',
    async () => {
      state.browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: !process.env.UINTR_E2E_HEADED,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
          '--disable-sync',
          '--disable-quic',
        ],
        timeout: 30_000,
      });
      const context = await state.browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = state.page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      await page.goto(`${base}/?folder=${encodeURIComponent(ws)}`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
      await page.waitForSelector(`.explorer-folders-view .monaco-list-row:has-text("${FILE_NAME}")`, { timeout: 60_000 });
    },
    { critical: true },
  );

  await check(
    `opens ${FILE_NAME} in an editor`,
    async () => {
      await page.dblclick(`.explorer-folders-view .monaco-list-row:has-text("${FILE_NAME}")`);
      await page.waitForSelector(`${EDITOR} .view-line:has-text("xrstors")`);
      await page.waitForSelector(`.part.editor .tab.active:has-text("${FILE_NAME}")`);
      // the status bar shows the language mode contributed by the extension
      const mode = await waitFor('language mode "UINTR scenario" in the status bar', async () => {
        const t = await page.locator('#status\\.editor\\.mode').innerText().catch(() => '');
        return /uintr/i.test(t) && t.trim();
      }, 20_000);
      return `language mode: ${mode}`;
    },
    { critical: true },
  );

  await check(`Problems panel lists ${EXPECTED_CODE} at Ln 12`, async () => {
    await page.locator(`${EDITOR} .view-lines`).click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+Shift+M');
    await page.waitForSelector('.markers-panel');
    const row = await waitFor(`a problem row with ${EXPECTED_CODE}`, async () =>
      (await problemRows(page)).find((r) => r.includes(EXPECTED_CODE)),
    );
    if (!row.includes(EXPECTED_MESSAGE)) throw new Error(`message differs: ${row}`);
    if (!/Ln 12\b|line 12\b/i.test(row)) throw new Error(`not at line 12: ${row}`);
    const count = (await problemRows(page)).filter((r) => r.includes(EXPECTED_CODE)).length;
    if (count !== 1) throw new Error(`${count} rows with ${EXPECTED_CODE}`);
    return row.split(' || ')[1];
  });

  await check(`inline error squiggle on line 12; screenshot ${path.relative(ROOT, SCREENSHOT)}`, async () => {
    await waitFor('.squiggly-error on line 12', async () => {
      const r = await wordRect(page, 12, 'xrstors');
      return page.evaluate(
        ([sel, y]) =>
          [...document.querySelectorAll(`${sel} .squiggly-error`)].some((s) => {
            const b = s.getBoundingClientRect();
            return b.width > 0 && b.top <= y + 2 && b.bottom >= y - 2;
          }),
        [EDITOR, r.y + r.height / 2],
      );
    });
    await page.mouse.move(1200, 20);
    await sleep(500); // let decorations and the panel settle
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    return `${Math.round(fs.statSync(SCREENSHOT).size / 1024)} KB`;
  });

  await check('hover on line 10 (cpu0: xrstors rx) shows the UINV row', async () => {
    const lines = await editorLines(page);
    if (!/cpu0:\s*xrstors rx/.test(lines['10'] ?? '')) throw new Error(`line 10 is "${lines['10']}"`);
    const text = await waitFor('a hover containing UINV', async () => {
      const r = await wordRect(page, 10, 'xrstors');
      await page.mouse.move(r.x + r.width / 2 - 3, r.y + r.height / 2);
      await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
      const hover = await page
        .waitForFunction(
          () => {
            const h = [...document.querySelectorAll('.monaco-hover-content, .monaco-hover')].map((e) => e.innerText).join('\n');
            return /UINV/.test(h) && h;
          },
          undefined,
          { timeout: 4000 },
        )
        .then((h) => h.jsonValue())
        .catch(() => undefined);
      if (!hover) await page.mouse.move(1200, 20); // move away and retry
      return hover;
    }, 30_000, 100);
    const row = text.split('\n').find((l) => /\bUINV\b/.test(l) && /0xec/.test(l));
    if (!row) throw new Error(`no UINV … 0xec row in hover: ${text.slice(0, 300).replace(/\s+/g, ' ')}`);
    await page.keyboard.press('Escape');
    await page.mouse.move(1200, 20);
    return row.replace(/\s+/g, ' ').trim();
  });

  await check('Ctrl+. on line 12 offers a fix that inserts a step before it, and applies it', async () => {
    const r = await wordRect(page, 12, 'xrstors');
    await page.mouse.click(r.x + 2, r.y + r.height / 2);
    await page.mouse.move(1200, 20);
    // the menu can miss a Ctrl+. pressed while the server is still answering the request for
    // the lightbulb (seen once in CI: lightbulb shown, no menu): press it again, up to 4 times
    let menu = false;
    for (let attempt = 1; attempt <= 4 && !menu; attempt++) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+.');
      menu = await page
        .waitForSelector('.action-widget .monaco-list-row.action', { timeout: 8_000 })
        .then(() => true)
        .catch(() => false);
      if (!menu) console.log(`# note: no quick-fix menu after Ctrl+. (attempt ${attempt})`);
    }
    if (!menu) throw new Error('no quick-fix menu after 4 presses of Ctrl+. (8 s each)');
    const offered = await page.$$eval('.action-widget .monaco-list-row.action', (rows) => rows.map((x) => x.innerText.trim()));
    const pick = FIX_TITLES.map((re) => offered.find((t) => re.test(t))).find(Boolean);
    if (!pick) throw new Error(`no expected fix; offered: ${JSON.stringify(offered)}`);
    if (!offered.some((t) => FIX_TITLES[0].test(t))) console.log(`# note: "${FIX_TITLES[0].source}" not offered; offered: ${JSON.stringify(offered)}`);
    await page.locator('.action-widget .monaco-list-row.action', { hasText: pick }).first().click();
    const lines = await waitFor('a step inserted at line 12, the XRSTORS moved to line 13', async () => {
      const l = await editorLines(page);
      return /^cpu0:\s*(xsaves rx|wrmsr IA32_UINTR_MISC)/.test(l['12'] ?? '') && /cpu0:\s*xrstors rx/.test(l['13'] ?? '') && l;
    }, 15_000);
    state.insertedLine = lines['12'].trim();
    return `chose "${pick}"; line 12 now "${state.insertedLine}"`;
  });

  await check('UINTR: Show trace on the unsaved file opens its table beside it; the file stays unsaved, the table is no scenario', async () => {
    const scenarioTab = `.part.editor .tab:has-text("${FILE_NAME}"):not(:has-text("Trace"))`;
    try {
      await page.keyboard.press('Control+Shift+P');
      await page.waitForSelector('.quick-input-widget input');
      await page.keyboard.type('UINTR: Show trace');
      await page.waitForSelector('.quick-input-list .monaco-list-row:has-text("Show trace")');
      await page.keyboard.press('Enter');
      const title = `Trace — ${FILE_NAME}.txt`;
      await page.waitForSelector(`.part.editor .tab:has-text("${title}")`, { timeout: 20_000 });
      const table = await waitFor('the trace table in the active editor group', async () => {
        const text = await page
          .$$eval('.part.editor .editor-group-container.active .monaco-editor .view-line', (ls) => ls.map((l) => l.textContent.replace(/\u00a0/g, ' ')).join('\n'))
          .catch(() => '');
        return /#\s+line\s+item/.test(text) && text;
      }, 15_000);
      // the table of the editor's text: the inserted step is in it (the server reads the editor's text)
      const inserted = /^cpu0:\s*(xsaves rx|wrmsr IA32_UINTR_MISC)/.exec(state.insertedLine)?.[1] ?? '?';
      if (!table.includes(inserted)) throw new Error(`the table does not show the unsaved step "${inserted}"`);
      // not saved for the command (it saved the file before 2026-11-30)
      if (!(await page.$(`.part.editor .tab.dirty:has-text("${FILE_NAME}"):not(:has-text("Trace"))`))) throw new Error('the scenario was saved by the command');
      // the table is plain text: nothing of it in the Problems panel (it was sent to the server as a scenario)
      await sleep(1500);
      const fromTable = (await problemRows(page)).filter((r) => r.includes('Trace'));
      if (fromTable.length) throw new Error(`problems from the table: ${fromTable.join('; ')}`);
      return `tab "${title}", ${table.split('\n').length} lines shown`;
    } finally {
      // back to the scenario for the next step
      await page.locator(scenarioTab).first().click();
      await page.waitForSelector(`.part.editor .tab.active:has-text("${FILE_NAME}"):not(:has-text("Trace"))`);
    }
  });

  await check('Ctrl+S saves the fixed file to disk', async () => {
    await page.keyboard.press('Control+S');
    const saved = await waitFor('the file on disk to contain the fix', async () => {
      const lines = fs.readFileSync(wsFile, 'utf8').split(/\r?\n/);
      // the editor's line may end in an inlay hint ("UINV 0xec→0x0") once the server has run
      // the fixed text: the line on disk is that line's start
      const disk = lines[11]?.trim() ?? '';
      return /^cpu0:\s*(xsaves rx|wrmsr IA32_UINTR_MISC)/.test(disk) && state.insertedLine.startsWith(disk) && /^cpu0:\s*xrstors rx/.test(lines[12] ?? '') && lines[11];
    }, 15_000);
    await page.waitForSelector(`.part.editor .tab.active:not(.dirty):has-text("${FILE_NAME}")`, { timeout: 10_000 });
    return `line 12 on disk: "${saved.trim()}"`;
  });

  await check(`after save, ${EXPECTED_CODE} disappears from the Problems panel and the squiggle goes`, async () => {
    await waitFor(`no ${EXPECTED_CODE} row in the Problems panel`, async () => {
      await page.waitForSelector('.markers-panel', { timeout: 2000 });
      return !(await problemRows(page)).some((r) => r.includes(EXPECTED_CODE));
    }, 30_000);
    const remaining = await problemRows(page);
    await waitFor('no .squiggly-error in the editor', async () => (await page.$$(`${EDITOR} .squiggly-error`)).length === 0, 10_000);
    // The emulation really ran on the saved text: the scenario's code lens counts no fault.
    const lens = await waitFor('the code lens to count 5 steps and 0 faults', async () => {
      const t = await codeLens(page);
      return /\b5 steps · 0 faults\b/.test(t) && t;
    }, 15_000).catch(async (err) => {
      throw new Error(`${err.message}; lens: "${await codeLens(page)}"`);
    });
    remaining.push(`lens: ${lens.split(' · ').slice(0, 2).join(' · ')}`);
    return remaining.join('; ');
  });
}

// ---------------------------------------------------------------------------------------------

let timedOut = false;
try {
  await withTimeout(main(), OVERALL_TIMEOUT_MS, 'the whole e2e run').catch((err) => {
    if (/timed out after .*whole e2e run/.test(err.message)) {
      timedOut = true;
      state.aborted = 'overall timeout';
      report(false, `finishes within ${OVERALL_TIMEOUT_MS / 1000}s`, err.message);
    } else {
      report(false, 'e2e harness', String(err?.stack ?? err).split('\n').slice(0, 3).join(' | '));
    }
  });
} finally {
  const failed = results.filter((r) => !r.ok).length;
  if (failed) dumpDiagnostics();
  await cleanup();
  if (state.server?.pid) {
    const stopped = !groupAlive(state.server.pid);
    report(stopped, 'code-server process group stopped', stopped ? undefined : `pgid ${state.server.pid} still alive`);
  }
  const nFailed = results.filter((r) => !r.ok).length;
  const nPassed = results.length - nFailed;
  if (state.tmp) {
    if (nFailed || process.env.UINTR_E2E_KEEP) console.log(`# kept ${state.tmp} (logs, profile, failure screenshots)`);
    else fs.rmSync(state.tmp, { recursive: true, force: true });
  }
  console.log(`${nPassed} passed, ${nFailed} failed`);
  process.exit(nFailed || timedOut ? 1 : 0);
}
