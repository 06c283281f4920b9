# The web playground's browser tests drive Debian's Chromium (no browser download) through Microsoft.Playwright.
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium for the web playground's browser tests"
  apt_install chromium
fi
