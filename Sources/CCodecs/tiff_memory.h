// tiff_memory.h: libtiff client procedures over memory, and its messages routed into an error sink.
#ifndef NST_TIFF_MEMORY_H
#define NST_TIFF_MEMORY_H

#include "codecs_internal.h"

#include <stdint.h>
#include <tiffio.h>

/// The "file" libtiff reads or writes: `data`/`size` for reading; for writing `out` grows
/// as libtiff writes and seeks (it rewrites the header and reads it back).
typedef struct {
    const unsigned char *data;
    size_t size;
    nst_buffer *out;
    uint64_t position;
    nst_error_sink *sink;
    nst_status failure;   ///< the status an error message from libtiff records
    const char *prefix;   ///< put before libtiff's message ("invalid TIFF data: ")
} nst_tiff_file;

/// Opens `file` with libtiff in `mode` ("r" or "w"); libtiff's errors go to `file->sink`
/// (never to stderr) and its warnings are dropped. NULL when it could not be opened (the
/// sink says why).
TIFF *nst_tiff_open(nst_tiff_file *file, const char *mode);

#endif
