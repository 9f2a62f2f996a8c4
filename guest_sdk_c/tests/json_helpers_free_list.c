/* json_helpers.c with the free-list allocator instead of the bump one. */
#define INGESTHOST_FREE_LIST
#include "json_helpers.c"
