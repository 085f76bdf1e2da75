#!/bin/sh
# mmdebstrap's customize hook of node-base.sh: puts node and npm into the new root ($1) as the
# official node images lay them out. NODE_TGZ and NPM_TGZ are the npm packages' tarballs.
set -eu
root=$1
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm" "$root/usr/local/share/doc/node"
tar -xzf "$NODE_TGZ" -C "$root/usr/local" --strip-components=1 package/bin/node
tar -xzf "$NODE_TGZ" -O package/LICENSE >"$root/usr/local/share/doc/node/LICENSE"
tar -xzf "$NPM_TGZ" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
