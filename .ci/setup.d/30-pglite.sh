# The PostgreSQL store's tests run against real Postgres with pgvector: PGlite (Postgres compiled to
# WASM) behind its wire-protocol server, from npm, in the git-ignored .services/pglite. The tests
# start it themselves (tests/Sift.Tests/Support/PgliteServer.cs runs pglite-server.mjs there) and
# find it through SIFT_PGLITE.
pglite_dir="$(pwd)/.services/pglite"
if [ ! -f "$pglite_dir/node_modules/@electric-sql/pglite-socket/package.json" ] \
  || [ ! -f "$pglite_dir/node_modules/@electric-sql/pglite-pgvector/package.json" ]; then
  if ! command -v node >/dev/null 2>&1; then
    echo "installing nodejs and npm for the PostgreSQL tests"
    apt_install nodejs npm
  fi
  echo "installing PGlite (PostgreSQL + pgvector) for the PostgreSQL store tests"
  mkdir -p "$pglite_dir"
  (cd "$pglite_dir" && npm install --no-audit --no-fund --silent \
    @electric-sql/pglite@0.5.14 @electric-sql/pglite-socket@0.2.17 @electric-sql/pglite-pgvector@0.0.15 >/dev/null)
fi
export SIFT_PGLITE="$pglite_dir"
