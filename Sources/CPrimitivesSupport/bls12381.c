// Run-time CPU dispatch for lockstep_bls12381.h: the ADX multiplication is used only where the CPU has it.
#include "lockstep_bls12381.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

int lockstep_bls12381_has_adx = 0;

__attribute__((constructor)) static void lockstep_bls12381_detect(void) {
#if defined(__x86_64__)
    unsigned int eax, ebx, ecx, edx;
    // Leaf 7, subleaf 0: EBX bit 8 is BMI2 (MULX), bit 19 is ADX (ADCX/ADOX).
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        lockstep_bls12381_has_adx = (ebx & (1u << 8)) && (ebx & (1u << 19));
    }
#endif
}
