// The one function is inline, in the header; a C target needs a source file.
#include "CKBQPrefetch.h"
