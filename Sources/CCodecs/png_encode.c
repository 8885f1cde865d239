// png_encode.c: PNG encoding into a growable memory buffer through libpng, errors as codes.
#include "codecs_internal.h"

#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/// Heap-held state of one encode, valid after libpng longjmps back (see png_decode.c).
typedef struct {
    nst_error_sink sink;
    nst_buffer *out;
    png_structp png;
    png_infop info;
    png_bytep *rows;
} png_encoder;

/// What to encode: rows in PNG's own layout plus the header fields.
typedef struct {
    const unsigned char *rows;
    size_t row_bytes;
    int width, height, bit_depth, color_type, interlace;
    const unsigned char *palette;
    int palette_count;
    const unsigned char *trns_alpha;
    int trns_count;
    int srgb;
} png_encode_request;

static void png_encoder_error(png_structp png, png_const_charp text) {
    png_encoder *encoder = (png_encoder *)png_get_error_ptr(png);
    nst_fail_with_library_text(&encoder->sink, NST_ERR_ARGUMENT, "cannot encode PNG: ", text);
    png_longjmp(png, 1);
}

static void png_encoder_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void png_encoder_write(png_structp png, png_bytep bytes, size_t count) {
    png_encoder *encoder = (png_encoder *)png_get_io_ptr(png);
    if (!nst_buffer_append(encoder->out, bytes, count)) {
        nst_fail(&encoder->sink, NST_ERR_NO_MEMORY, "out of memory encoding PNG");
        png_error(png, "out of memory");
    }
}

static void png_encoder_flush(png_structp png) { (void)png; }

static void png_encode_run(png_encoder *encoder, const png_encode_request *request) {
    encoder->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, encoder, png_encoder_error,
                                           png_encoder_warning);
    if (encoder->png == NULL) {
        nst_fail(&encoder->sink, NST_ERR_NO_MEMORY, "out of memory starting the PNG encoder");
        return;
    }
    encoder->info = png_create_info_struct(encoder->png);
    if (encoder->info == NULL) {
        nst_fail(&encoder->sink, NST_ERR_NO_MEMORY, "out of memory starting the PNG encoder");
        return;
    }
    if (setjmp(png_jmpbuf(encoder->png))) return;

    png_structp png = encoder->png;
    png_infop info = encoder->info;
    png_set_write_fn(png, encoder, png_encoder_write, png_encoder_flush);
    png_set_IHDR(png, info, (png_uint_32)request->width, (png_uint_32)request->height,
                 request->bit_depth, request->color_type,
                 request->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (request->color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color colors[256];
        int count = request->palette_count;
        if (count < 1 || count > 256 || request->palette == NULL) {
            png_error(png, "a palette image needs 1 to 256 palette entries");
        }
        for (int i = 0; i < count; i++) {
            colors[i].red = request->palette[3 * i];
            colors[i].green = request->palette[3 * i + 1];
            colors[i].blue = request->palette[3 * i + 2];
        }
        png_set_PLTE(png, info, colors, count);
        if (request->trns_alpha != NULL && request->trns_count > 0) {
            png_set_tRNS(png, info, request->trns_alpha, request->trns_count, NULL);
        }
    }
    if (request->srgb) {
        // The sRGB chunk, with the gAMA and cHRM values the PNG specification asks to go with it.
        png_set_sRGB_gAMA_and_cHRM(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
    }
    encoder->rows = malloc(sizeof(png_bytep) * (size_t)request->height);
    if (encoder->rows == NULL) {
        nst_fail(&encoder->sink, NST_ERR_NO_MEMORY, "out of memory encoding PNG");
        return;
    }
    for (int y = 0; y < request->height; y++) {
        encoder->rows[y] = (png_bytep)request->rows + (size_t)y * request->row_bytes;
    }
    png_write_info(png, info);
    png_write_image(png, encoder->rows);
    png_write_end(png, NULL);
}

static int png_channels(int color_type) {
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    case PNG_COLOR_TYPE_PALETTE: return 1;
    default: return 0;
    }
}

/// nst_encode_png_raw with the sRGB flag of nst_encode_png_rgb.
static nst_status png_encode(const unsigned char *rows, int width, int height, int bit_depth,
                             int color_type, const unsigned char *palette, int palette_count,
                             const unsigned char *trns_alpha, int trns_count, int interlace, int srgb,
                             nst_buffer *out, char *message, size_t message_capacity) {
    nst_error_sink argument_sink = {NST_OK, message, message_capacity};
    int channels = png_channels(color_type);
    if (rows == NULL || out == NULL || width < 1 || height < 1 || channels == 0 ||
        (bit_depth != 1 && bit_depth != 2 && bit_depth != 4 && bit_depth != 8 && bit_depth != 16)) {
        nst_fail(&argument_sink, NST_ERR_ARGUMENT,
                 "cannot encode PNG: bad arguments (%dx%d, bit depth %d, colour type %d)",
                 width, height, bit_depth, color_type);
        return argument_sink.status;
    }
    png_encode_request request = {
        rows, ((size_t)width * (size_t)channels * (size_t)bit_depth + 7) / 8,
        width, height, bit_depth, color_type, interlace,
        palette, palette_count, trns_alpha, trns_count, srgb,
    };
    png_encoder *encoder = calloc(1, sizeof *encoder);
    if (encoder == NULL) {
        nst_fail(&argument_sink, NST_ERR_NO_MEMORY, "out of memory starting the PNG encoder");
        return argument_sink.status;
    }
    encoder->sink = argument_sink;
    encoder->out = out;
    png_encode_run(encoder, &request);

    nst_status status = encoder->sink.status;
    if (status != NST_OK) nst_buffer_free(out);
    if (encoder->png != NULL) png_destroy_write_struct(&encoder->png, &encoder->info);
    free(encoder->rows);
    free(encoder);
    return status;
}

nst_status nst_encode_png_raw(const unsigned char *rows, int width, int height, int bit_depth,
                              int color_type, const unsigned char *palette, int palette_count,
                              const unsigned char *trns_alpha, int trns_count, int interlace,
                              nst_buffer *out, char *message, size_t message_capacity) {
    return png_encode(rows, width, height, bit_depth, color_type, palette, palette_count, trns_alpha,
                      trns_count, interlace, 0, out, message, message_capacity);
}

nst_status nst_encode_png_rgb8(const unsigned char *rgb, int width, int height, nst_buffer *out,
                               char *message, size_t message_capacity) {
    return nst_encode_png_raw(rgb, width, height, 8, PNG_COLOR_TYPE_RGB, NULL, 0, NULL, 0, 0, out,
                              message, message_capacity);
}

nst_status nst_encode_png_rgb(const unsigned char *rows, int width, int height, int bit_depth, int srgb,
                              nst_buffer *out, char *message, size_t message_capacity) {
    if (bit_depth != 8 && bit_depth != 16) {
        nst_error_sink sink = {NST_OK, message, message_capacity};
        nst_fail(&sink, NST_ERR_ARGUMENT, "cannot encode PNG: bit depth %d (want 8 or 16)", bit_depth);
        return sink.status;
    }
    return png_encode(rows, width, height, bit_depth, PNG_COLOR_TYPE_RGB, NULL, 0, NULL, 0, 0, srgb, out,
                      message, message_capacity);
}
