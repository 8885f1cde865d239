// codecs_internal.h: helpers shared by the PNG and JPEG halves of the shim (not part of its API).
#ifndef NST_CODECS_INTERNAL_H
#define NST_CODECS_INTERNAL_H

#include "codecs.h"

/// Where a codec call reports its outcome. The first failure wins: later
/// reports (for instance the library's own message after we asked it to stop)
/// do not overwrite it.
typedef struct {
    nst_status status;
    char *message;
    size_t message_capacity;
} nst_error_sink;

/// Records a failure with a printf-style message, unless one is already recorded.
void nst_fail(nst_error_sink *sink, nst_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/// Records a failure whose message is `prefix` followed by a library's message,
/// its first letter lowered when it starts a sentence ("Not enough" -> "not enough",
/// but "IDAT: ..." and "JPEG ..." stay as they are).
void nst_fail_with_library_text(nst_error_sink *sink, nst_status status, const char *prefix,
                                const char *text);

/// Records NST_ERR_TOO_LARGE when a side is zero or over NST_MAX_SIDE, or the image has more
/// than NST_MAX_PIXELS pixels; returns 1 when it did.
int nst_refuse_dimensions(nst_error_sink *sink, unsigned long width, unsigned long height);

/// Records NST_ERR_NO_MEMORY when decoding a width x height image takes more than `budget`
/// bytes (0: no budget): `working` bytes of the decoder's own plus two copies of the float
/// planes (the shim's and the caller's). Returns 1 when it did.
int nst_refuse_memory(nst_error_sink *sink, unsigned long width, unsigned long height, size_t working,
                      size_t budget);

/// Appends `count` bytes to `buffer`, growing it geometrically; returns 0 when memory ran out.
int nst_buffer_append(nst_buffer *buffer, const void *bytes, size_t count);

#endif
