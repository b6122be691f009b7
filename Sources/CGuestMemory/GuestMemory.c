// Everything is `static inline` in include/GuestMemory.h; SwiftPM needs one source file per C target.
#include "GuestMemory.h"
