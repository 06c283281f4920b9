# The cache and low-confidence tests start their own redis-server on a free loopback port (Debian's package).
if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing redis-server for the cache tests"
  apt_install redis-server
fi
