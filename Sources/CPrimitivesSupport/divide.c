// The divide functions are header-only (static inline); this file gives SwiftPM a C source to build.
#include "lockstep_divide.h"
