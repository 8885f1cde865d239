// jpeg_trap.h: libjpeg's error manager extended with a jump buffer, shared by the JPEG decoder and encoder.
#ifndef NST_JPEG_TRAP_H
#define NST_JPEG_TRAP_H

#include "codecs_internal.h"

#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>
#include <jerror.h>

/// libjpeg's default error_exit calls exit() and its output_message prints to
/// stderr; a trap replaces both, recording into `sink` and jumping to `jump`.
typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    nst_error_sink *sink;
} jpeg_error_trap;

/// Sets up `trap` on libjpeg's standard manager with the given error_exit and
/// emit_message (NULL keeps libjpeg's) and a silent output_message; returns the
/// manager to store in the codec's `err` field.
struct jpeg_error_mgr *nst_jpeg_trap_init(jpeg_error_trap *trap, nst_error_sink *sink,
                                          void (*error_exit)(j_common_ptr),
                                          void (*emit_message)(j_common_ptr, int));

#endif
