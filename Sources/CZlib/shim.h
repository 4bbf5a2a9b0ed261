#ifndef MFPIPE_CZLIB_SHIM_H
#define MFPIPE_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro that Swift cannot call: set up `stream` to decode gzip members. */
static inline int mf_inflate_init_gzip(z_stream *stream) { return inflateInit2(stream, 15 + 16); }
/* deflateInit2 likewise: set up `stream` to write one gzip member at `level`. */
static inline int mf_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
