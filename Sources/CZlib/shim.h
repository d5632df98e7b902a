#ifndef CCPOOL_CZLIB_SHIM_H
#define CCPOOL_CZLIB_SHIM_H

#include <zlib.h>

/// `deflateInit2` is a macro and is not imported; this wrapper sets up a gzip stream (windowBits 15 + 16).
static inline int ccpool_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// `deflateInit2` for a raw deflate stream (no header or trailer; windowBits -15), for gzip bodies spliced
/// from a compressed prefix and a tail.
static inline int ccpool_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

/// `deflateInit2` for the small tail of a spliced gzip body (a few KB): a 4 KiB window and a small hash,
/// so that setting the stream up (once per scrape) allocates and clears about 20 KB instead of 270 KB.
static inline int ccpool_deflate_init_raw_small(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -12, 4, Z_DEFAULT_STRATEGY);
}

/// `inflateInit2` for gzip, used by tests to read back what they wrote.
static inline int ccpool_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

#endif
