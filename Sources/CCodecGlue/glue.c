#include "CCodecGlue.h"
