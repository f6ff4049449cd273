#!/bin/sh
# npm runs every package.json script through this shell (.npmrc script-shell), so that scripts
# and the tools they start (mocha, tsx, node) run on the project's Node from .tools/node, which
# dev/bootstrap.sh installs, whatever node runs npm itself. Otherwise it is npm's default, /bin/sh.
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
PATH="$root/.tools/node/bin:$PATH"
export PATH
exec /bin/sh "$@"
