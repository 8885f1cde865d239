// jpeg_decode.c: JPEG from memory to planar float RGB through libjpeg, with errors as codes.
#include "icc_convert.h"
#include "jpeg_trap.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/// Heap-held state of one decode, valid after a longjmp (see png_decode.c).
typedef struct {
    nst_error_sink sink;
    jpeg_error_trap trap;
    struct jpeg_decompress_struct info;
    unsigned char *row;
    float *pixels;
    JOCTET *icc; ///< the profile reassembled from the APP2 markers (malloc'd by libjpeg); NULL when none
    unsigned int icc_size;
} jpeg_decoder;

static nst_status jpeg_error_status(int code) {
    switch (code) {
    case JERR_OUT_OF_MEMORY: return NST_ERR_NO_MEMORY;
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOT_COMPILED:
    case JERR_ARITH_NOTIMPL: return NST_ERR_UNSUPPORTED;
    case JERR_INPUT_EMPTY:
    case JERR_INPUT_EOF: return NST_ERR_TRUNCATED;
    default: return NST_ERR_CORRUPT;
    }
}

static void jpeg_trap_error_exit(j_common_ptr info) {
    jpeg_error_trap *trap = (jpeg_error_trap *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    int code = info->err->msg_code;
    nst_status status = jpeg_error_status(code);
    const char *prefix = "invalid JPEG data: ";
    if (code == JERR_NO_SOI || status == NST_ERR_UNSUPPORTED || status == NST_ERR_NO_MEMORY) prefix = "";
    if (status == NST_ERR_TRUNCATED) {
        nst_fail(trap->sink, status, "truncated JPEG data");
    } else {
        nst_fail_with_library_text(trap->sink, status, prefix, text);
    }
    longjmp(trap->jump, 1);
}

/// libjpeg reports damaged data as warnings and carries on with grey blocks
/// (a truncated file becomes "Premature end of JPEG file" plus a fake end
/// marker). Those warnings become errors here; harmless ones (an unknown JFIF
/// revision, stray bytes between markers) are counted and otherwise ignored.
static void jpeg_trap_emit_message(j_common_ptr info, int level) {
    if (level >= 0) return; // trace messages; trace_level is 0
    jpeg_error_trap *trap = (jpeg_error_trap *)info->err;
    int code = info->err->msg_code;
    info->err->num_warnings++;
    if (code == JWRN_JPEG_EOF) {
        nst_fail(trap->sink, NST_ERR_TRUNCATED, "truncated JPEG data");
        longjmp(trap->jump, 1);
    }
    // The ICC profile's markers are numbered inconsistently (missing, repeated, disagreeing
    // counts): its colours cannot be known, which is no better than a profile lcms refuses.
    if (code == JWRN_BOGUS_ICC) {
        nst_fail(trap->sink, NST_ERR_CORRUPT, "embedded ICC profile is unusable: its APP2 markers are inconsistent");
        longjmp(trap->jump, 1);
    }
    if (code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE || code == JWRN_ARITH_BAD_CODE ||
        code == JWRN_MUST_RESYNC || code == JWRN_NOT_SEQUENTIAL) {
        char text[JMSG_LENGTH_MAX];
        (*info->err->format_message)(info, text);
        nst_fail_with_library_text(trap->sink, NST_ERR_CORRUPT, "", text);
        longjmp(trap->jump, 1);
    }
}

/// Converts one decoded scanline (RGB, or CMYK as Adobe writes it) to the planes.
static void jpeg_row_to_planes(jpeg_decoder *decoder, size_t y) {
    struct jpeg_decompress_struct *info = &decoder->info;
    size_t width = info->output_width, plane = width * info->output_height;
    float *red = decoder->pixels + y * width, *green = red + plane, *blue = green + plane;
    const unsigned char *p = decoder->row;
    if (info->out_color_space == JCS_CMYK) {
        // Adobe files store CMYK inverted (255 = no ink); others store ink amounts.
        int inverted = info->saw_Adobe_marker;
        for (size_t x = 0; x < width; x++, p += 4) {
            float k = (float)(inverted ? p[3] : 255 - p[3]);
            float c[3];
            for (int i = 0; i < 3; i++) c[i] = (float)(inverted ? p[i] : 255 - p[i]) * k / 65025.0f;
            red[x] = c[0];
            green[x] = c[1];
            blue[x] = c[2];
        }
        return;
    }
    for (size_t x = 0; x < width; x++, p += 3) {
        red[x] = (float)p[0] / 255.0f;
        green[x] = (float)p[1] / 255.0f;
        blue[x] = (float)p[2] / 255.0f;
    }
}

static void jpeg_decode_run(jpeg_decoder *decoder, const unsigned char *data, size_t size, size_t budget) {
    struct jpeg_decompress_struct *info = &decoder->info;
    info->err = nst_jpeg_trap_init(&decoder->trap, &decoder->sink, jpeg_trap_error_exit,
                                   jpeg_trap_emit_message);
    if (setjmp(decoder->trap.jump)) return;

    jpeg_create_decompress(info);
    jpeg_mem_src(info, data, (unsigned long)size);
    // Keep the APP2 markers, where an ICC profile travels in chunks of up to 64 KiB.
    jpeg_save_markers(info, JPEG_APP0 + 2, 0xFFFF);
    jpeg_read_header(info, TRUE);
    if (nst_refuse_dimensions(&decoder->sink, info->image_width, info->image_height)) return;
    // A progressive or multi-scan file keeps every coefficient (2 bytes each, up to 4
    // components) until its last scan; libjpeg allocates those itself, within this limit.
    size_t coefficients = jpeg_has_multiple_scans(info) ? (size_t)8 * info->image_width * info->image_height : 0;
    if (nst_refuse_memory(&decoder->sink, info->image_width, info->image_height, coefficients, budget)) return;
    if (budget > 0) info->mem->max_memory_to_use = (long)(budget < (size_t)LONG_MAX ? budget : (size_t)LONG_MAX);
    int cmyk = info->jpeg_color_space == JCS_CMYK || info->jpeg_color_space == JCS_YCCK;
    info->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    // A CMYK image's profile is left unread: its inks are converted as before, without one.
    // (At most 255 markers of 65519 bytes each: under NST_MAX_ICC_BYTES, so the size is bounded.)
    if (!cmyk && !jpeg_read_icc_profile(info, &decoder->icc, &decoder->icc_size)) decoder->icc = NULL;
    jpeg_start_decompress(info);

    size_t width = info->output_width, height = info->output_height;
    decoder->row = malloc(width * (size_t)info->output_components);
    decoder->pixels = malloc(sizeof(float) * 3 * width * height);
    if (decoder->row == NULL || decoder->pixels == NULL) {
        nst_fail(&decoder->sink, NST_ERR_NO_MEMORY, "out of memory decoding a %zux%zu image", width,
                 height);
        return;
    }
    while (info->output_scanline < info->output_height) {
        size_t y = info->output_scanline;
        JSAMPROW rows[1] = {decoder->row};
        if (jpeg_read_scanlines(info, rows, 1) != 1) {
            nst_fail(&decoder->sink, NST_ERR_TRUNCATED, "truncated JPEG data");
            return;
        }
        jpeg_row_to_planes(decoder, y);
    }
    jpeg_finish_decompress(info);
}

nst_status nst_decode_jpeg(const unsigned char *data, size_t size, size_t memory_budget, nst_image *out,
                           char *message, size_t message_capacity) {
    nst_error_sink argument_sink = {NST_OK, message, message_capacity};
    if (out == NULL || (data == NULL && size > 0)) {
        nst_fail(&argument_sink, NST_ERR_ARGUMENT, "nst_decode_jpeg: missing buffer");
        return argument_sink.status;
    }
    memset(out, 0, sizeof *out);
    if (size == 0) {
        nst_fail(&argument_sink, NST_ERR_TRUNCATED, "truncated JPEG data");
        return argument_sink.status;
    }
    jpeg_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) {
        nst_fail(&argument_sink, NST_ERR_NO_MEMORY, "out of memory starting the JPEG decoder");
        return argument_sink.status;
    }
    decoder->sink = argument_sink;
    jpeg_decode_run(decoder, data, size, memory_budget);
    if (decoder->sink.status == NST_OK && decoder->icc != NULL) {
        nst_icc_samples samples = decoder->info.jpeg_color_space == JCS_GRAYSCALE ? NST_ICC_GRAY : NST_ICC_RGB;
        nst_icc_to_srgb(decoder->icc, decoder->icc_size, samples, decoder->pixels,
                        (size_t)decoder->info.output_width * decoder->info.output_height, &decoder->sink);
    }

    nst_status status = decoder->sink.status;
    if (status == NST_OK) {
        out->width = (int)decoder->info.output_width;
        out->height = (int)decoder->info.output_height;
        out->pixels = decoder->pixels;
    } else {
        free(decoder->pixels);
    }
    // Safe even when creation failed: the struct was zeroed and destroy skips a NULL memory manager.
    jpeg_destroy_decompress(&decoder->info);
    free(decoder->icc);
    free(decoder->row);
    free(decoder);
    return status;
}
