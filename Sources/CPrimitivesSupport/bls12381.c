// Run-time CPU dispatch for lockstep_bls12381.h: the ADX multiplication is used only where the CPU has it.
#include "lockstep_bls12381.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

int lockstep_bls12381_has_adx = 0;
static int lockstep_bls12381_cpu_has_adx = 0;

__attribute__((constructor)) static void lockstep_bls12381_detect(void) {
#if defined(__x86_64__)
    unsigned int eax, ebx, ecx, edx;
    // Leaf 7, subleaf 0: EBX bit 8 is BMI2 (MULX), bit 19 is ADX (ADCX/ADOX).
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        lockstep_bls12381_cpu_has_adx = (ebx & (1u << 8)) && (ebx & (1u << 19));
    }
#endif
    // LOCKSTEP_BLS12381_PORTABLE=1 runs the portable multiplication, as on a CPU without ADX.
    const char *portable = getenv("LOCKSTEP_BLS12381_PORTABLE");
    int forced = portable != NULL && portable[0] != '\0' && strcmp(portable, "0") != 0;
    lockstep_bls12381_has_adx = lockstep_bls12381_cpu_has_adx && !forced;
}

int lockstep_bls12381_cpu_adx(void) { return lockstep_bls12381_cpu_has_adx; }

void lockstep_bls12381_force_portable(int portable) {
    lockstep_bls12381_has_adx = lockstep_bls12381_cpu_has_adx && !portable;
}
