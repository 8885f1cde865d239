// tiff_decode.c: TIFF from memory to planar float RGB through libtiff (8/16-bit RGB and grey exactly, the rest via RGBA).
#include "icc_convert.h"
#include "tiff_memory.h"

#include <stdlib.h>
#include <string.h>

/// The fields that decide which reader runs.
typedef struct {
    uint32_t width, height;
    uint16_t bits, samples, photometric, planar, format, extra_count;
    const uint16_t *extra;
} tiff_layout;

/// True when scanlines can be read as they are: contiguous 8/16-bit unsigned RGB or grey,
/// in strips, with at most one alpha channel after the colours.
static int tiff_direct(TIFF *tiff, const tiff_layout *l) {
    int colors = l->photometric == PHOTOMETRIC_RGB ? 3 : l->photometric == PHOTOMETRIC_MINISBLACK ? 1 : 0;
    return colors > 0 && !TIFFIsTiled(tiff) && (l->bits == 8 || l->bits == 16) && l->format == SAMPLEFORMAT_UINT
        && (l->planar == PLANARCONFIG_CONTIG || l->samples == 1)
        && (l->samples == colors || (l->samples == colors + 1 && l->extra_count == 1));
}

static void put(float *pixels, size_t plane, size_t i, float r, float g, float b) {
    pixels[i] = r;
    pixels[plane + i] = g;
    pixels[2 * plane + i] = b;
}

static int tiff_read_direct(TIFF *tiff, const tiff_layout *l, float *pixels, nst_error_sink *sink) {
    tmsize_t line = TIFFScanlineSize(tiff);
    unsigned char *row = line > 0 ? malloc((size_t)line) : NULL;
    if (row == NULL) {
        nst_fail(sink, NST_ERR_NO_MEMORY, "out of memory decoding TIFF");
        return 0;
    }
    size_t plane = (size_t)l->width * l->height;
    float full = l->bits == 16 ? 65535.0f : 255.0f;
    int colors = l->photometric == PHOTOMETRIC_RGB ? 3 : 1;
    int alpha = l->samples > colors;
    int associated = alpha && l->extra[0] == EXTRASAMPLE_ASSOCALPHA;
    for (uint32_t y = 0; y < l->height; y++) {
        if (TIFFReadScanline(tiff, row, y, 0) != 1) {
            nst_fail(sink, NST_ERR_CORRUPT, "invalid TIFF data: cannot read row %u", (unsigned)y);
            free(row);
            return 0;
        }
        for (uint32_t x = 0; x < l->width; x++) {
            float s[4];
            for (int c = 0; c < l->samples; c++) {
                size_t k = (size_t)x * l->samples + (size_t)c;
                unsigned v = l->bits == 16 ? ((const uint16_t *)row)[k] : row[k];
                s[c] = (float)v / full;
            }
            float r = s[0], g = colors == 3 ? s[1] : s[0], b = colors == 3 ? s[2] : s[0];
            if (alpha) {
                // Composite on white, as the PNG decoder does; associated alpha is premultiplied.
                float a = s[colors];
                float keep = associated ? 1.0f : a;
                r = r * keep + (1 - a); g = g * keep + (1 - a); b = b * keep + (1 - a);
            }
            put(pixels, plane, (size_t)y * l->width + x, r, g, b);
        }
    }
    free(row);
    return 1;
}

static int tiff_read_rgba(TIFF *tiff, const tiff_layout *l, float *pixels, nst_error_sink *sink) {
    size_t plane = (size_t)l->width * l->height;
    uint32_t *raster = malloc(plane * sizeof(uint32_t));
    if (raster == NULL) {
        nst_fail(sink, NST_ERR_NO_MEMORY, "out of memory decoding TIFF");
        return 0;
    }
    char why[1024] = "";
    if (!TIFFRGBAImageOK(tiff, why)) {
        nst_fail(sink, NST_ERR_UNSUPPORTED, "unsupported TIFF: %s", why[0] ? why : "libtiff cannot convert it to RGB");
        free(raster);
        return 0;
    }
    if (!TIFFReadRGBAImageOriented(tiff, l->width, l->height, raster, ORIENTATION_TOPLEFT, 0)) {
        nst_fail(sink, NST_ERR_CORRUPT, "invalid TIFF data: cannot read the image");
        free(raster);
        return 0;
    }
    for (size_t i = 0; i < plane; i++) {
        uint32_t p = raster[i];
        // libtiff's raster is premultiplied by alpha; composite on white.
        float a = (float)TIFFGetA(p) / 255.0f;
        put(pixels, plane, i, (float)TIFFGetR(p) / 255.0f + 1 - a, (float)TIFFGetG(p) / 255.0f + 1 - a,
            (float)TIFFGetB(p) / 255.0f + 1 - a);
    }
    free(raster);
    return 1;
}

/// Converts the pixels from the ICCProfile tag's profile, if any, to sRGB; 0 on failure (recorded).
/// Only kinds whose decoded samples are what the profile describes are converted: CMYK and
/// Lab (which libtiff turns into RGB itself) and white-is-zero grey read as before.
static int tiff_apply_icc(TIFF *tiff, const tiff_layout *l, float *pixels, nst_error_sink *sink) {
    uint32_t size = 0;
    const unsigned char *profile = NULL;
    if (!TIFFGetField(tiff, TIFFTAG_ICCPROFILE, &size, &profile) || profile == NULL || size == 0) return 1;
    nst_icc_samples samples;
    switch (l->photometric) {
    case PHOTOMETRIC_MINISBLACK: samples = NST_ICC_GRAY; break;
    case PHOTOMETRIC_RGB:
    case PHOTOMETRIC_PALETTE:
    case PHOTOMETRIC_YCBCR: samples = NST_ICC_RGB; break;
    default: return 1;
    }
    return nst_icc_to_srgb(profile, size, samples, pixels, (size_t)l->width * l->height, sink);
}

nst_status nst_decode_tiff(const unsigned char *data, size_t size, size_t memory_budget, nst_image *out,
                           char *message, size_t message_capacity) {
    nst_error_sink sink = {NST_OK, message, message_capacity};
    if (data == NULL || out == NULL) {
        nst_fail(&sink, NST_ERR_ARGUMENT, "no TIFF data");
        return sink.status;
    }
    memset(out, 0, sizeof *out);
    nst_tiff_file file = {data, size, NULL, 0, &sink, NST_ERR_CORRUPT, "invalid TIFF data: "};
    TIFF *tiff = nst_tiff_open(&file, "rm");
    if (tiff == NULL) return sink.status;
    tiff_layout l = {0};
    TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &l.width);
    TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &l.height);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_BITSPERSAMPLE, &l.bits);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLESPERPIXEL, &l.samples);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_PLANARCONFIG, &l.planar);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLEFORMAT, &l.format);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_EXTRASAMPLES, &l.extra_count, &l.extra);
    if (!TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &l.photometric)) l.photometric = 0xFFFF;
    if (nst_refuse_dimensions(&sink, l.width, l.height)) {
        TIFFClose(tiff);
        return sink.status;
    }
    // Refused from the header, as PNG and JPEG are: a few hundred bytes can claim 16384x16384,
    // 4 GiB of floats and raster (found by fuzzing). The RGBA reader's raster is its working memory.
    int direct = tiff_direct(tiff, &l);
    tmsize_t line = TIFFScanlineSize(tiff);
    size_t working = direct ? (line > 0 ? (size_t)line : 0) : (size_t)l.width * l.height * sizeof(uint32_t);
    if (nst_refuse_memory(&sink, l.width, l.height, working, memory_budget)) {
        TIFFClose(tiff);
        return sink.status;
    }
    float *pixels = malloc((size_t)l.width * l.height * 3 * sizeof(float));
    if (pixels == NULL) {
        nst_fail(&sink, NST_ERR_NO_MEMORY, "out of memory decoding TIFF");
        TIFFClose(tiff);
        return sink.status;
    }
    int ok = direct ? tiff_read_direct(tiff, &l, pixels, &sink) : tiff_read_rgba(tiff, &l, pixels, &sink);
    // Before closing: the profile's bytes belong to libtiff.
    if (ok && sink.status == NST_OK) ok = tiff_apply_icc(tiff, &l, pixels, &sink);
    TIFFClose(tiff);
    if (!ok || sink.status != NST_OK) {
        if (sink.status == NST_OK) nst_fail(&sink, NST_ERR_CORRUPT, "invalid TIFF data");
        free(pixels);
        return sink.status;
    }
    out->width = (int)l.width;
    out->height = (int)l.height;
    out->pixels = pixels;
    return NST_OK;
}
