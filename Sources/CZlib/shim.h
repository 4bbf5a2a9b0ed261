#ifndef MFPIPE_CZLIB_SHIM_H
#define MFPIPE_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro that Swift cannot call: set up `stream` to decode gzip members. */
static inline int mf_inflate_init_gzip(z_stream *stream) { return inflateInit2(stream, 15 + 16); }
#endif
