#ifndef MFPIPE_CZLIB_SHIM_H
#define MFPIPE_CZLIB_SHIM_H
#include <zlib.h>
#endif
