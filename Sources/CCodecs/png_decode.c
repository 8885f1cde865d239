// png_decode.c: PNG from memory to planar float RGB through libpng's full API, errors as codes.
#include "icc_convert.h"

#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Everything a decode touches lives on the heap, so that it is still valid after
/// libpng longjmps back into nst_decode_png (automatic variables changed after
/// setjmp would be indeterminate there).
typedef struct {
    nst_error_sink sink;
    const unsigned char *data;
    size_t size;
    size_t position;
    png_structp png;
    png_infop info;
    unsigned char *raw;
    png_bytep *rows;
    float *pixels;
    png_uint_32 width;
    png_uint_32 height;
    size_t budget;
    png_bytep icc;          ///< the iCCP chunk's profile, owned by `info`; NULL when none
    png_uint_32 icc_size;
    nst_icc_samples icc_samples;
    char icc_warning[200];  ///< libpng's warning about an iCCP chunk it dropped, if any
} png_decoder;

static void png_decoder_error(png_structp png, png_const_charp text) {
    png_decoder *decoder = (png_decoder *)png_get_error_ptr(png);
    nst_fail_with_library_text(&decoder->sink, NST_ERR_CORRUPT, "invalid PNG data: ", text);
    png_longjmp(png, 1);
}

/// Warnings (an ancillary chunk with a bad CRC that libpng skips) do not stop decoding and
/// must not reach stderr. One about the iCCP chunk is kept: libpng then drops the profile,
/// and a profile that cannot be used is refused, as the JPEG and TIFF readers refuse it.
/// Its "known incorrect sRGB profile" (old software's buggy sRGB) is no such case: the
/// pixels are sRGB, which is what they are read as.
static void png_decoder_warning(png_structp png, png_const_charp text) {
    png_decoder *decoder = (png_decoder *)png_get_error_ptr(png);
    if (decoder == NULL || text == NULL || decoder->icc_warning[0] != 0) return;
    if (strncmp(text, "iCCP", 4) != 0 || strstr(text, "known incorrect sRGB profile") != NULL) return;
    const char *reason = text + 4;
    while (*reason == ':' || *reason == ' ') reason++;
    snprintf(decoder->icc_warning, sizeof decoder->icc_warning, "%s", reason);
}

static void png_decoder_read(png_structp png, png_bytep out, size_t count) {
    png_decoder *decoder = (png_decoder *)png_get_io_ptr(png);
    if (count > decoder->size - decoder->position) {
        nst_fail(&decoder->sink, NST_ERR_TRUNCATED, "truncated PNG data");
        png_error(png, "truncated");
    }
    memcpy(out, decoder->data + decoder->position, count);
    decoder->position += count;
}

/// Asks libpng for 8- or 16-bit RGB or RGBA, whatever the file holds.
static void png_request_rgb(png_structp png, png_infop info) {
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_gray_to_rgb(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

/// One row to the planes. Samples are read as PNG stores them, big-endian for 16 bits, and combined here,
/// which is the same on every host (what png_set_swap would give on little-endian).
static void png_row_to_planes(const png_decoder *decoder, png_uint_32 y, const unsigned char *row,
                              int channels, int bit_depth) {
    size_t plane = (size_t)decoder->width * decoder->height;
    float *red = decoder->pixels, *green = red + plane, *blue = green + plane;
    const float full = bit_depth == 16 ? 65535.0f : 255.0f;
    {
        const unsigned char *p = row;
        size_t base = (size_t)y * decoder->width;
        for (png_uint_32 x = 0; x < decoder->width; x++) {
            float sample[4] = {0, 0, 0, 1};
            for (int c = 0; c < channels; c++) {
                unsigned value = bit_depth == 16 ? ((unsigned)p[0] << 8 | p[1]) : p[0];
                p += bit_depth / 8;
                sample[c] = (float)value / full;
            }
            if (channels == 4) {
                // Composite on white: c * a + 1 * (1 - a).
                float a = sample[3];
                for (int c = 0; c < 3; c++) sample[c] = sample[c] * a + (1.0f - a);
            }
            red[base + x] = sample[0];
            green[base + x] = sample[1];
            blue[base + x] = sample[2];
        }
    }
}

/// The decode proper. Returns normally on success and on failure; libpng's errors
/// land on the setjmp below and leave the cleanup to the caller.
static void png_decode_run(png_decoder *decoder) {
    decoder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, decoder, png_decoder_error,
                                          png_decoder_warning);
    if (decoder->png == NULL) {
        nst_fail(&decoder->sink, NST_ERR_NO_MEMORY, "out of memory starting the PNG decoder");
        return;
    }
    decoder->info = png_create_info_struct(decoder->png);
    if (decoder->info == NULL) {
        nst_fail(&decoder->sink, NST_ERR_NO_MEMORY, "out of memory starting the PNG decoder");
        return;
    }
    if (setjmp(png_jmpbuf(decoder->png))) return;

    png_structp png = decoder->png;
    png_infop info = decoder->info;
    png_set_read_fn(png, decoder, png_decoder_read);
    // Our own limit, with our own message, applies instead of libpng's (1,000,000 px).
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, info);
    decoder->width = png_get_image_width(png, info);
    decoder->height = png_get_image_height(png, info);
    if (nst_refuse_dimensions(&decoder->sink, decoder->width, decoder->height)) return;
    // libpng has already checked the profile's header against the colour type and dropped
    // (with a warning) any it finds malformed; those read as before, without a profile.
    png_charp icc_name = NULL;
    int icc_compression = 0;
    if (png_get_iCCP(png, info, &icc_name, &icc_compression, &decoder->icc, &decoder->icc_size) != PNG_INFO_iCCP) {
        decoder->icc = NULL;
        if (decoder->icc_warning[0] != 0) {
            nst_fail(&decoder->sink, NST_ERR_CORRUPT, "embedded ICC profile is unusable: %s", decoder->icc_warning);
            return;
        }
    }
    decoder->icc_samples = (png_get_color_type(png, info) & PNG_COLOR_MASK_COLOR) ? NST_ICC_RGB : NST_ICC_GRAY;

    png_request_rgb(png, info);
    int channels = png_get_channels(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if ((channels != 3 && channels != 4) || (bit_depth != 8 && bit_depth != 16)) {
        nst_fail(&decoder->sink, NST_ERR_UNSUPPORTED,
                 "unsupported PNG layout (%d channels of %d bits after expansion)", channels, bit_depth);
        return;
    }
    size_t row_bytes = png_get_rowbytes(png, info);
    size_t plane = (size_t)decoder->width * decoder->height;
    // Only an interlaced image needs all its raw rows at once (Adam7 passes revisit every
    // row); otherwise one row buffer is reused for every row.
    int interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    size_t raw_rows = interlaced ? decoder->height : 1;
    if (nst_refuse_memory(&decoder->sink, decoder->width, decoder->height, row_bytes * raw_rows,
                          decoder->budget)) return;
    decoder->raw = malloc(row_bytes * raw_rows);
    decoder->rows = malloc(sizeof(png_bytep) * decoder->height);
    decoder->pixels = malloc(sizeof(float) * 3 * plane);
    if (decoder->raw == NULL || decoder->rows == NULL || decoder->pixels == NULL) {
        nst_fail(&decoder->sink, NST_ERR_NO_MEMORY, "out of memory decoding a %ux%u image",
                 (unsigned)decoder->width, (unsigned)decoder->height);
        return;
    }
    if (!interlaced) {
        for (png_uint_32 y = 0; y < decoder->height; y++) {
            png_read_row(png, decoder->raw, NULL);
            png_row_to_planes(decoder, y, decoder->raw, channels, bit_depth);
        }
        png_read_end(png, NULL);
        return;
    }
    for (png_uint_32 y = 0; y < decoder->height; y++) decoder->rows[y] = decoder->raw + y * row_bytes;
    png_read_image(png, decoder->rows);
    // Reading on to IEND checks the CRCs and zlib checksum after the last row.
    png_read_end(png, NULL);
    for (png_uint_32 y = 0; y < decoder->height; y++) {
        png_row_to_planes(decoder, y, decoder->rows[y], channels, bit_depth);
    }
}

nst_status nst_decode_png(const unsigned char *data, size_t size, size_t memory_budget, nst_image *out,
                          char *message, size_t message_capacity) {
    nst_error_sink argument_sink = {NST_OK, message, message_capacity};
    if (out == NULL || (data == NULL && size > 0)) {
        nst_fail(&argument_sink, NST_ERR_ARGUMENT, "nst_decode_png: missing buffer");
        return argument_sink.status;
    }
    memset(out, 0, sizeof *out);
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        nst_fail(&argument_sink, size < 8 ? NST_ERR_TRUNCATED : NST_ERR_CORRUPT,
                 size < 8 ? "truncated PNG data" : "not a PNG file (bad signature)");
        return argument_sink.status;
    }
    png_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) {
        nst_fail(&argument_sink, NST_ERR_NO_MEMORY, "out of memory starting the PNG decoder");
        return argument_sink.status;
    }
    decoder->sink = argument_sink;
    decoder->data = data;
    decoder->size = size;
    decoder->budget = memory_budget;
    png_decode_run(decoder);
    if (decoder->sink.status == NST_OK && decoder->icc != NULL) {
        nst_icc_to_srgb(decoder->icc, decoder->icc_size, decoder->icc_samples, decoder->pixels,
                        (size_t)decoder->width * decoder->height, &decoder->sink);
    }

    nst_status status = decoder->sink.status;
    if (status == NST_OK) {
        out->width = (int)decoder->width;
        out->height = (int)decoder->height;
        out->pixels = decoder->pixels;
    } else {
        free(decoder->pixels);
    }
    if (decoder->png != NULL) png_destroy_read_struct(&decoder->png, &decoder->info, NULL);
    free(decoder->rows);
    free(decoder->raw);
    free(decoder);
    return status;
}
