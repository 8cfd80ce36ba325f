// GMP: the mpz_* names are macros, so Swift calls the __gmpz_* functions; mpz_t imports as __mpz_struct.
#include <gmp.h>
