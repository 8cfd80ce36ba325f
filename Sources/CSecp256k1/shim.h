// libsecp256k1 (Debian 0.2.0) with the recovery module.
#include <secp256k1.h>
#include <secp256k1_recovery.h>
