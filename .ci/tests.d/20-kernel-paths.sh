# The kernel, model and engine tests again on each narrower x86 kernel path than the machine's own:
# the runtime's switches (DOTNET_EnableAVX512=0 ...: tests/Sift.Tests/Kernels/KernelPathTests.cs shows
# they take effect) force the AVX2 path with and without AVX-VNNI, and the 128-bit path without FMA;
# SIFT_EMITTED_KERNELS=0 keeps the avx512 path but runs the managed 512-bit int8 tile instead of the
# emitted VNNI one (what hardened hosts that refuse executable memory run).
# On a machine without AVX-512 (VNNI) the avx512 passes repeat its own path; that costs only time.
# Sourced by .ci/run inside the isolated copy after the main test run: appends to "$log", sets "status".
if [ "$(uname -m)" = "x86_64" ]; then
  kernel_filter='(FullyQualifiedName~Sift.Tests.Kernels|FullyQualifiedName~Sift.Tests.Qwen3|FullyQualifiedName~Sift.Tests.Engine)&FullyQualifiedName!~KernelPathTests'
  for switches in "SIFT_EMITTED_KERNELS=0" "DOTNET_EnableAVX512=0" "DOTNET_EnableAVX512=0 DOTNET_EnableAVXVNNI=0" "DOTNET_EnableAVX2=0"; do
    echo "=== kernel path rerun: $switches"
    env $switches dotnet test Sift.sln --no-build --filter "$kernel_filter" 2>&1 | tee -a "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  done
  # No SIMD at all: the portable branches (Transpose4x4's scalar one among them) on the attention
  # tests only; the whole kernel filter takes minutes this way.
  echo "=== kernel path rerun: DOTNET_EnableHWIntrinsic=0 (attention)"
  DOTNET_EnableHWIntrinsic=0 dotnet test Sift.sln --no-build \
    --filter 'FullyQualifiedName~Sift.Tests.Kernels.AttentionTests|FullyQualifiedName~Sift.Tests.Kernels.Transpose4x4Tests' 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
