# ARM64 under emulation (.ci/tests.d/30-arm64-emulated.sh): qemu-user and the ARM64 C and C++ runtimes
# that a self-contained linux-arm64 .NET program loads (Debian's cross packages, installed under /usr/aarch64-linux-gnu).
if [ "$(uname -m)" = "x86_64" ] && { ! command -v qemu-aarch64-static >/dev/null 2>&1 \
     || [ ! -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] || [ ! -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ]; }; then
  echo "installing qemu-user-static and the ARM64 C/C++ runtimes for the ARM64 kernel check"
  apt_install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross
fi
