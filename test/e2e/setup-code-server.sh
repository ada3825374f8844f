#!/usr/bin/env bash
# Installs what the end-to-end suite needs to run the extension in a real VS Code on a fresh Debian machine:
# Debian chromium + ripgrep + kerberos headers, and code-server (VS Code in the browser) from the npm registry,
# rebuilt by hand because its own postinstall downloads ripgrep from GitHub, which these machines cannot reach.
# Idempotent: a marker file holding the version makes a second run a no-op.
#
# Env: SIMILAR_SENTENCES_E2E_CACHE  install folder (default $HOME/.cache/similar-sentences-e2e/code-server)
set -Eeuo pipefail

readonly CODE_SERVER_VERSION=4.99.4
readonly CACHE_DIR="${SIMILAR_SENTENCES_E2E_CACHE:-$HOME/.cache/similar-sentences-e2e/code-server}"
readonly MARKER="$CACHE_DIR/.installed-version"
readonly APT_PACKAGES=(libkrb5-dev ripgrep chromium)
# node-gyp needs these to rebuild code-server's native modules; most images have them, a minimal one may not.
readonly BUILD_TOOL_PACKAGES=(build-essential python3)

export DEBIAN_FRONTEND=noninteractive
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

script_start=$SECONDS
step_start=$SECONDS
step() {
  echo "==> $*"
  step_start=$SECONDS
}
step_done() {
  echo "    done in $((SECONDS - step_start))s"
}
trap 'echo "setup-code-server.sh: FAILED at line $LINENO (exit $?)" >&2' ERR

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

package_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

install_apt_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    package_installed "$pkg" || missing+=("$pkg")
  done
  if ! command -v make >/dev/null || ! command -v g++ >/dev/null || ! command -v python3 >/dev/null; then
    missing+=("${BUILD_TOOL_PACKAGES[@]}")
  fi
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "==> apt packages already installed: ${APT_PACKAGES[*]}"
    return
  fi
  step "apt-get install ${missing[*]}"
  # Try without refreshing the lists first; update only when apt cannot find a package.
  if ! as_root apt-get install -y "${missing[@]}"; then
    as_root apt-get update
    as_root apt-get install -y "${missing[@]}"
  fi
  step_done
}

# node-gyp downloads Node's headers from nodejs.org unless told where the installed ones are.
point_node_gyp_at_local_headers() {
  local prefix
  prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  if [[ -f "$prefix/include/node/node.h" ]]; then
    export npm_config_nodedir="$prefix"
  fi
}

install_code_server() {
  if [[ -f "$MARKER" && $(cat "$MARKER") == "$CODE_SERVER_VERSION" && -x "$CACHE_DIR/node_modules/.bin/code-server" ]]; then
    echo "==> code-server $CODE_SERVER_VERSION already installed in $CACHE_DIR"
    return
  fi
  # Anything without the marker is a partial or older install: start clean.
  rm -rf "$CACHE_DIR"
  mkdir -p "$CACHE_DIR"
  cd "$CACHE_DIR"
  # Own package.json so npm does not climb into a parent project.
  echo '{ "name": "similar-sentences-e2e-code-server", "private": true }' >package.json

  step "npm install code-server@$CODE_SERVER_VERSION (scripts off)"
  npm install --no-save --ignore-scripts "code-server@$CODE_SERVER_VERSION"
  step_done

  step "npm rebuild argon2"
  npm rebuild argon2
  step_done

  local vscode_dir="$CACHE_DIR/node_modules/code-server/lib/vscode"
  cd "$vscode_dir"
  step "npm install in lib/vscode (scripts off)"
  npm install --omit=dev --ignore-scripts
  step_done

  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg

  step "npm rebuild VS Code's native modules"
  npm rebuild kerberos @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog node-pty
  step_done

  # The rest of code-server's postinstall.sh, minus its ripgrep download.
  ln -sfn node_modules node_modules.asar
  (cd bin/remote-cli && ln -sfn code-linux.sh code-server)
  (cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
  step "npm install built-in extensions' dependencies"
  (cd extensions && npm install --omit=dev --ignore-scripts)
  step_done

  step "check code-server runs"
  # Its own config path: without one, code-server writes a default config into ~/.config.
  "$CACHE_DIR/node_modules/.bin/code-server" --config "$CACHE_DIR/config.yaml" --version
  step_done

  echo "$CODE_SERVER_VERSION" >"$MARKER"
}

install_apt_packages
point_node_gyp_at_local_headers
install_code_server
echo "==> e2e setup complete in $((SECONDS - script_start))s: $CACHE_DIR/node_modules/.bin/code-server, /usr/bin/chromium"
