# The ARM64 kernel paths executed, not only compiled: tests/tools/Sift.KernelCheck (the fixtures' references
# through the kernels, the model and the engine, every weight mode, batch invariance) published
# self-contained for linux-arm64 and run under qemu-user, once with SDOT (dot product) and once with it
# switched off (SMULL + ADDP). The xunit runner is not used here: under Debian 12's qemu 7.2 it needs an
# ARM64 OpenSSL. DOTNET_EnableWriteXorExecute=0: the runtime's W^X maps JIT code twice (a writable and an
# executable view), and qemu-user does not see writes through the other view, so it runs stale translated
# code (measured: a tokenizer load failing at random after tiering). Emulated timings mean nothing.
# Sourced by .ci/run inside the isolated copy after the main test run: appends to "$log", sets "status".
if [ "$(uname -m)" = "x86_64" ]; then
  arm64_out=$(mktemp -d)
  echo "=== ARM64 under emulation: publish tests/tools/Sift.KernelCheck for linux-arm64"
  dotnet publish tests/tools/Sift.KernelCheck -c Release -r linux-arm64 --self-contained -o "$arm64_out" 2>&1 | tail -3
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then
    for arm64_switches in "" "DOTNET_EnableArm64Dp=0"; do
      arm64_expect=$([ -z "$arm64_switches" ] && echo SDOT || echo SMULL)
      echo "=== ARM64 under emulation (qemu-aarch64-static) ${arm64_switches:-with dot product}"
      arm64_result=$(env DOTNET_EnableWriteXorExecute=0 $arm64_switches timeout 900 \
        qemu-aarch64-static -L /usr/aarch64-linux-gnu "$arm64_out/Sift.KernelCheck" \
        --fixtures tests/fixtures --expect-path arm64 --expect-int8 "$arm64_expect" 2>&1)
      arm64_exit=$?
      echo "$arm64_result"
      # Each failed check in the form .ci/run repeats under "=== failures" at the end of the log.
      echo "$arm64_result" | grep -E '^FAIL ' | sed -E "s/^FAIL /  Failed Sift.KernelCheck (linux-arm64${arm64_switches:+, $arm64_switches}): /" >> "$log"
      arm64_counts=$(echo "$arm64_result" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
      arm64_passed=$(echo "$arm64_counts" | sed -E 's/^([0-9]+) passed.*/\1/')
      arm64_failed=$(echo "$arm64_counts" | sed -E 's/.* ([0-9]+) failed$/\1/')
      if [ -z "$arm64_counts" ]; then   # crashed or timed out before its summary
        arm64_passed=0; arm64_failed=1
        echo "  Failed Sift.KernelCheck (linux-arm64${arm64_switches:+, $arm64_switches}): exited $arm64_exit before its summary line" >> "$log"
      fi
      if [ "$arm64_exit" -ne 0 ] && [ "$arm64_failed" -eq 0 ]; then
        arm64_failed=1
        echo "  Failed Sift.KernelCheck (linux-arm64${arm64_switches:+, $arm64_switches}): exited $arm64_exit with no failed check" >> "$log"
      fi
      [ "$arm64_failed" -eq 0 ] || status=1
      # In VSTest's summary form, so that .ci/run counts these checks in its final line.
      summary=$([ "$arm64_failed" -eq 0 ] && echo Passed! || echo Failed!)
      echo "$summary  - Failed: $arm64_failed, Passed: $arm64_passed, Skipped: 0, Total: $((arm64_passed + arm64_failed)) - Sift.KernelCheck (linux-arm64, qemu${arm64_switches:+, $arm64_switches})" | tee -a "$log"
    done
  else
    echo "Failed!  - Failed: 1, Passed: 0, Skipped: 0, Total: 1 - Sift.KernelCheck (linux-arm64 publish)" | tee -a "$log"
    status=1
  fi
  rm -rf "$arm64_out"
fi
