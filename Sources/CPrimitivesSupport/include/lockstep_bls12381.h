#ifndef LOCKSTEP_BLS12381_H
#define LOCKSTEP_BLS12381_H

#include <stdint.h>

// Montgomery multiplication modulo the BLS12-381 base prime p with MULX/ADCX/ADOX (BMI2 + ADX): CIOS with the
// product and the reduction on two independent carry chains (the carry flag and the overflow flag), which Swift
// and C cannot express. Measured on this machine: 43.5 ns against 54 ns for the same CIOS written with 128-bit
// integers (in Swift or in C). Limbs are least significant first, Montgomery form with R = 2^384; inputs below p,
// output below p; `out` may alias `a` or `b`. Callers must check `lockstep_bls12381_adx_available()` first: the
// instructions fault on a CPU without them.

/// Nonzero when the CPU has BMI2 and ADX: written once by a load-time constructor in bls12381.c, read-only after.
extern int lockstep_bls12381_has_adx;

/// Whether this CPU has BMI2 and ADX, whatever the override below says.
int lockstep_bls12381_cpu_adx(void);

/// Nonzero: use the portable multiplication even where the CPU has ADX (tests compare the two paths; the
/// environment variable LOCKSTEP_BLS12381_PORTABLE=1 does the same at load). Zero: use ADX where the CPU has it.
/// Both paths give identical results, so switching while other threads multiply changes only their speed.
void lockstep_bls12381_force_portable(int portable);

/// Whether `lockstep_bls12381_fp_mul_adx` may run (a function, so that Swift 6 sees no shared mutable global).
static inline int lockstep_bls12381_adx_available(void) { return lockstep_bls12381_has_adx; }

#if defined(__x86_64__)
static inline __attribute__((always_inline)) void lockstep_bls12381_fp_mul_adx(uint64_t *out, const uint64_t *a,
                                                                                const uint64_t *b) {
    static const uint64_t P[6] = {0xb9feffffffffaaabULL, 0x1eabfffeb153ffffULL, 0x6730d2a0f6b0f624ULL,
                                  0x64774b84f38512bfULL, 0x4b1ba7b6434bacd7ULL, 0x1a0111ea397fe69aULL};
    uint64_t t0, t1, t2, t3, t4, t5, t6, lo, hi;
    // Row 0: t = a·b0.
#define LOCKSTEP_BLS_ROW0                                                                                          \
    "movq 0(%[b]), %%rdx\n\t"                                                                                      \
    "xorl %k[t6], %k[t6]\n\t"                                                                                      \
    "mulxq 0(%[a]), %[t0], %[t1]\n\t"                                                                              \
    "mulxq 8(%[a]), %[lo], %[t2]\n\t"  "adoxq %[lo], %[t1]\n\t"                                                    \
    "mulxq 16(%[a]), %[lo], %[t3]\n\t" "adoxq %[lo], %[t2]\n\t"                                                    \
    "mulxq 24(%[a]), %[lo], %[t4]\n\t" "adoxq %[lo], %[t3]\n\t"                                                    \
    "mulxq 32(%[a]), %[lo], %[t5]\n\t" "adoxq %[lo], %[t4]\n\t"                                                    \
    "mulxq 40(%[a]), %[lo], %[t6]\n\t" "adoxq %[lo], %[t5]\n\t"                                                    \
    "movl $0, %k[lo]\n\t" "adoxq %[lo], %[t6]\n\t"
    // Row i > 0: t += a·b_i (low halves on OF, high halves on CF).
#define LOCKSTEP_BLS_ROW(offset)                                                                                   \
    "movq " #offset "(%[b]), %%rdx\n\t"                                                                            \
    "xorl %k[lo], %k[lo]\n\t"                                                                                      \
    "mulxq 0(%[a]), %[lo], %[hi]\n\t"  "adoxq %[lo], %[t0]\n\t" "adcxq %[hi], %[t1]\n\t"                           \
    "mulxq 8(%[a]), %[lo], %[hi]\n\t"  "adoxq %[lo], %[t1]\n\t" "adcxq %[hi], %[t2]\n\t"                           \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t" "adoxq %[lo], %[t2]\n\t" "adcxq %[hi], %[t3]\n\t"                           \
    "mulxq 24(%[a]), %[lo], %[hi]\n\t" "adoxq %[lo], %[t3]\n\t" "adcxq %[hi], %[t4]\n\t"                           \
    "mulxq 32(%[a]), %[lo], %[hi]\n\t" "adoxq %[lo], %[t4]\n\t" "adcxq %[hi], %[t5]\n\t"                           \
    "mulxq 40(%[a]), %[lo], %[t6]\n\t" "adoxq %[lo], %[t5]\n\t"                                                    \
    "movl $0, %k[lo]\n\t" "adcxq %[lo], %[t6]\n\t" "adoxq %[lo], %[t6]\n\t"
    // Reduction: m = t0·(-p^-1) mod 2^64, t = (t + m·p) / 2^64. The top limb of p is below 2^62, so t stays
    // below 2p and fits in six limbs after the shift (the "no-carry" condition of CIOS).
#define LOCKSTEP_BLS_REDUCE                                                                                        \
    "movq $0x89f3fffcfffcfffd, %%rdx\n\t"                                                                          \
    "imulq %[t0], %%rdx\n\t"                                                                                       \
    "xorl %k[lo], %k[lo]\n\t"                                                                                      \
    "mulxq 0(%[p]), %[lo], %[hi]\n\t"  "adcxq %[lo], %[t0]\n\t" "adoxq %[hi], %[t1]\n\t"                           \
    "mulxq 8(%[p]), %[lo], %[hi]\n\t"  "adcxq %[lo], %[t1]\n\t" "adoxq %[hi], %[t2]\n\t"                           \
    "mulxq 16(%[p]), %[lo], %[hi]\n\t" "adcxq %[lo], %[t2]\n\t" "adoxq %[hi], %[t3]\n\t"                           \
    "mulxq 24(%[p]), %[lo], %[hi]\n\t" "adcxq %[lo], %[t3]\n\t" "adoxq %[hi], %[t4]\n\t"                           \
    "mulxq 32(%[p]), %[lo], %[hi]\n\t" "adcxq %[lo], %[t4]\n\t" "adoxq %[hi], %[t5]\n\t"                           \
    "mulxq 40(%[p]), %[lo], %[hi]\n\t" "adcxq %[lo], %[t5]\n\t" "adoxq %[hi], %[t6]\n\t"                           \
    "movl $0, %k[lo]\n\t" "adcxq %[lo], %[t6]\n\t"                                                                 \
    "movq %[t1], %[t0]\n\t" "movq %[t2], %[t1]\n\t" "movq %[t3], %[t2]\n\t"                                        \
    "movq %[t4], %[t3]\n\t" "movq %[t5], %[t4]\n\t" "movq %[t6], %[t5]\n\t"
    __asm__(LOCKSTEP_BLS_ROW0 LOCKSTEP_BLS_REDUCE
            LOCKSTEP_BLS_ROW(8) LOCKSTEP_BLS_REDUCE
            LOCKSTEP_BLS_ROW(16) LOCKSTEP_BLS_REDUCE
            LOCKSTEP_BLS_ROW(24) LOCKSTEP_BLS_REDUCE
            LOCKSTEP_BLS_ROW(32) LOCKSTEP_BLS_REDUCE
            LOCKSTEP_BLS_ROW(40) LOCKSTEP_BLS_REDUCE
            : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
              [t6] "=&r"(t6), [lo] "=&r"(lo), [hi] "=&r"(hi)
            : [a] "r"(a), [b] "r"(b), [p] "r"(P)
            : "rdx", "cc", "memory");
#undef LOCKSTEP_BLS_ROW0
#undef LOCKSTEP_BLS_ROW
#undef LOCKSTEP_BLS_REDUCE
    // t < 2p: subtract p once unless that borrows (branch-free).
    unsigned long long t[6] = {t0, t1, t2, t3, t4, t5}, r[6], borrow = 0;
    for (int j = 0; j < 6; j++) r[j] = __builtin_subcll(t[j], P[j], borrow, &borrow);
    uint64_t keep = 0 - (uint64_t)borrow;
    for (int j = 0; j < 6; j++) out[j] = (t[j] & keep) | (r[j] & ~keep);
}
#endif

// Addition and subtraction modulo p on any CPU. Swift's 128-bit emulation of the carry chain (UInt128 sums and
// shifts) compiles to a serial add/adc/sar sequence per limb; clang's carry builtins give one add/adc chain and one
// sub/sbb chain. Measured on this machine, inlined in a dependent chain: 7.9 ns against 29 ns (add), 22 ns (sub).

static const uint64_t lockstep_bls12381_p[6] = {0xb9feffffffffaaabULL, 0x1eabfffeb153ffffULL, 0x6730d2a0f6b0f624ULL,
                                                0x64774b84f38512bfULL, 0x4b1ba7b6434bacd7ULL, 0x1a0111ea397fe69aULL};

/// out = a + b mod p for a, b below p (the sum fits in 384 bits as p < 2^381); `out` may alias.
static inline __attribute__((always_inline)) void lockstep_bls12381_fp_add(uint64_t *out, const uint64_t *a,
                                                                            const uint64_t *b) {
    unsigned long long sum[6], reduced[6], carry = 0, borrow = 0;
    for (int i = 0; i < 6; i++) sum[i] = __builtin_addcll(a[i], b[i], carry, &carry);
    for (int i = 0; i < 6; i++) reduced[i] = __builtin_subcll(sum[i], lockstep_bls12381_p[i], borrow, &borrow);
    uint64_t keep = 0 - (uint64_t)borrow;  // all ones when sum < p
    for (int i = 0; i < 6; i++) out[i] = (sum[i] & keep) | (reduced[i] & ~keep);
}

/// out = a - b mod p for a, b below p; `out` may alias.
static inline __attribute__((always_inline)) void lockstep_bls12381_fp_sub(uint64_t *out, const uint64_t *a,
                                                                            const uint64_t *b) {
    unsigned long long difference[6], carry = 0, borrow = 0;
    for (int i = 0; i < 6; i++) difference[i] = __builtin_subcll(a[i], b[i], borrow, &borrow);
    uint64_t mask = 0 - (uint64_t)borrow;  // add p back when the subtraction wrapped
    for (int i = 0; i < 6; i++) out[i] = __builtin_addcll(difference[i], lockstep_bls12381_p[i] & mask, carry, &carry);
}

#endif
