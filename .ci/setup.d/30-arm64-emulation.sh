# The ARM64 kernel path runs here under user-mode emulation (.ci/tests.d/30-arm64-emulated.sh):
# qemu, the ARM64 C and C++ runtimes, and the ARM64 libssl (the xunit runner hashes test ids with
# SHA-256, which .NET takes from OpenSSL on Linux), installed as a foreign architecture.
if [ "$(uname -m)" = "x86_64" ]; then
  if ! command -v qemu-aarch64-static >/dev/null || [ ! -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]; then
    echo "installing qemu-user-static and the ARM64 runtimes for the emulated ARM64 tests"
    apt_install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross
  fi
  if [ ! -e /usr/lib/aarch64-linux-gnu/libssl.so.3 ]; then
    echo "installing libssl3:arm64 for the emulated ARM64 tests"
    $([ "$(id -u)" -eq 0 ] || echo sudo) dpkg --add-architecture arm64
    apt_updated=
    apt_install libssl3:arm64
  fi
fi
