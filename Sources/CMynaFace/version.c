// The C side of libmynaface: the version. Everything else is implemented in Swift (Sources/MynaFaceC).
#include "mynaface.h"

int32_t mynaface_abi_version(void) { return MYNAFACE_ABI_VERSION; }

const char *mynaface_version(void) { return "mynaface 1 (abi 1)"; }
