#!/bin/sh
# Runs a command with the project's Node (.tools/node, installed by dev/bootstrap.sh) first on
# PATH, so that it and the tools it starts (mocha, tsx, node) run on Node 24 whatever node ran
# npm. Without .tools/node (e.g. a production host with Node 24 installed) PATH is unchanged.
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
PATH="$root/.tools/node/bin:$PATH"
export PATH
exec "$@"
