// Makes a patched library see an AVX2-only CPU (AMD Zen 3: AVX2 + FMA, no AVX-512, no AVX-VNNI),
// so that a peer that picks its kernels by CPUID (ONNX Runtime's MLAS) runs its AVX2 code on a
// machine that has AVX-512. patch.py replaces each `cpuid` (0f a2) in the library with `int3; nop`
// (cc 90) and each `xgetbv` (0f 01 d0) with `int3; xchg ax, ax` (cc 66 90); this preloaded handler performs the real
// instruction on SIGTRAP, clears the AVX-512 and VNNI feature bits, and resumes after it.
// Only the patched library is affected; the rest of the process (node, V8) sees the real CPU.
// Limits: a thread that blocks SIGTRAP dies on its first patched instruction (the kernel then
// delivers the default action); xgetbv with ECX = 1 (XINUSE) reports the handler's own state, with
// the same bits cleared (ORT reads ECX = 0 only); glibc's own CPU dispatch (memcpy, libm) and the
// cache-size leaves are not masked. AVX2_VIEW_REQUIRE=1 makes a process that never trapped exit 71,
// so that a library loaded from elsewhere cannot pass for the view.
#define _GNU_SOURCE
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static long cpuid_hits, xgetbv_hits;

// XCR0 / leaf 0xD state components of AVX-512 (opmask 5, ZMM_Hi256 6, Hi16_ZMM 7) and AMX (17, 18).
#define XSTATE_MASKED ((1u << 5) | (1u << 6) | (1u << 7) | (1u << 17) | (1u << 18))

// AVX2_VIEW_VNNI=1 keeps AVX-VNNI (a 256-bit vpdpbusd, as on Intel client chips since Alder Lake).
static int keep_avx_vnni;

static void mask_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    if (leaf == 7 && subleaf == 0) {
        // EBX: AVX512F 16, DQ 17, IFMA 21, PF 26, ER 27, CD 28, BW 30, VL 31.
        *b &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31));
        // ECX: VBMI 1, VBMI2 6, GFNI 8 (not on Zen 3), VNNI 11, BITALG 12, VPOPCNTDQ 14.
        *c &= ~((1u << 1) | (1u << 6) | (1u << 8) | (1u << 11) | (1u << 12) | (1u << 14));
        // EDX: 4VNNIW 2, 4FMAPS 3, VP2INTERSECT 8, AMX-BF16 22, AVX512_FP16 23, AMX-TILE 24, AMX-INT8 25.
        *d &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25));
    } else if (leaf == 7 && subleaf == 1) {
        // EAX: AVX-VNNI 4, AVX512_BF16 5, AMX-FP16 21, AVX-IFMA 23;
        // EDX: AVX-VNNI-INT8 4, AVX-NE-CONVERT 5, AMX-COMPLEX 8, AVX-VNNI-INT16 10, AVX10 19.
        *a &= ~((keep_avx_vnni ? 0u : (1u << 4)) | (1u << 5) | (1u << 21) | (1u << 23));
        *d &= ~((1u << 4) | (1u << 5) | (1u << 8) | (1u << 10) | (1u << 19));
    } else if (leaf == 0xd && subleaf == 0) {
        *a &= ~XSTATE_MASKED;
    } else if (leaf == 0x24) {
        *a = *b = *c = *d = 0; // AVX10
    }
}

static void on_trap(int signal, siginfo_t *info, void *context)
{
    (void)signal;
    ucontext_t *uc = context;
    greg_t *r = uc->uc_mcontext.gregs;
    const unsigned char *next = (const unsigned char *)r[REG_RIP]; // int3 has run: RIP is one past it
    int is_cpuid = next[0] == 0x90, is_xgetbv = next[0] == 0x66 && next[1] == 0x90;
    // SI_KERNEL: an int3 executed, not a kill -TRAP from outside.
    if (info->si_code != SI_KERNEL || next[-1] != 0xcc || !(is_cpuid || is_xgetbv)) {
        static const char message[] = "avx2_view: SIGTRAP not at a patched instruction\n";
        write(2, message, sizeof message - 1);
        _exit(70);
    }
    if (is_xgetbv) {
        uint32_t low, high;
        __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"((uint32_t)r[REG_RCX]));
        if ((uint32_t)r[REG_RCX] <= 1) {
            low &= ~XSTATE_MASKED;
        }
        r[REG_RAX] = low;
        r[REG_RDX] = high;
        r[REG_RIP] += 2;
        __atomic_fetch_add(&xgetbv_hits, 1, __ATOMIC_RELAXED);
        return;
    }
    uint32_t leaf = (uint32_t)r[REG_RAX], subleaf = (uint32_t)r[REG_RCX], a, b, c, d;
    __cpuid_count(leaf, subleaf, a, b, c, d);
    mask_cpuid(leaf, subleaf, &a, &b, &c, &d);
    r[REG_RAX] = a;
    r[REG_RBX] = b;
    r[REG_RCX] = c;
    r[REG_RDX] = d;
    r[REG_RIP] += 1;
    __atomic_fetch_add(&cpuid_hits, 1, __ATOMIC_RELAXED);
}

static void report(void)
{
    const char *require = getenv("AVX2_VIEW_REQUIRE");
    if (require != NULL && strcmp(require, "1") == 0 && cpuid_hits == 0) {
        fprintf(stderr, "avx2_view: no patched cpuid ran in this process: the patched library was not the one loaded\n");
        _exit(71);
    }
    if (getenv("AVX2_VIEW_REPORT")) {
        fprintf(stderr, "avx2_view: %ld cpuid and %ld xgetbv answered with AVX-512%s masked\n", cpuid_hits, xgetbv_hits,
            keep_avx_vnni ? "" : " and AVX-VNNI");
    }
}

__attribute__((constructor)) static void install(void)
{
    const char *vnni = getenv("AVX2_VIEW_VNNI");
    keep_avx_vnni = vnni != NULL && strcmp(vnni, "1") == 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_trap;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGTRAP, &action, NULL) != 0) {
        perror("avx2_view: sigaction");
        _exit(70);
    }
    atexit(report);
}
