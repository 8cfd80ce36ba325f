#ifndef LOCKSTEP_DIVIDE_H
#define LOCKSTEP_DIVIDE_H

#include <stdint.h>

// 128-by-64-bit division for U256's Knuth division. Swift's UInt64.dividingFullWidth lowers to a call of
// compiler-rt's __udivti3 (a full 128-by-128 division); on x86-64 one `divq` does the job. The caller guarantees
// hi < divisor, so the quotient fits in 64 bits and divq cannot fault. Header-only so that Swift inlines it.
static inline uint64_t lockstep_divide_128_by_64(uint64_t hi, uint64_t lo, uint64_t divisor, uint64_t *remainder) {
#if defined(__x86_64__)
    uint64_t quotient, rest;
    __asm__("divq %4" : "=a"(quotient), "=d"(rest) : "a"(lo), "d"(hi), "rm"(divisor) : "cc");
    *remainder = rest;
    return quotient;
#else
    unsigned __int128 dividend = ((unsigned __int128)hi << 64) | lo;
    *remainder = (uint64_t)(dividend % divisor);
    return (uint64_t)(dividend / divisor);
#endif
}

#endif
