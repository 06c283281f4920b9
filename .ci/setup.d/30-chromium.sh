# The web playground's browser tests drive Debian's Chromium (no browser download) through
# Microsoft.Playwright; a small CJK font lets its screenshots show Chinese text.
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wqy"; then
  echo "installing chromium and fonts-wqy-microhei for the web playground's browser tests"
  apt_install chromium fonts-wqy-microhei
fi
