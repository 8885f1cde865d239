// tiff_encode.c: RGB (8 or 16 bits) to an uncompressed baseline TIFF in memory through libtiff.
#include "tiff_memory.h"

#include <stdlib.h>

nst_status nst_encode_tiff_rgb(const void *samples, int width, int height, int bit_depth,
                               const unsigned char *icc, size_t icc_size, nst_buffer *out,
                               char *message, size_t message_capacity) {
    nst_error_sink sink = {NST_OK, message, message_capacity};
    if (samples == NULL || out == NULL || width < 1 || height < 1 || (bit_depth != 8 && bit_depth != 16)) {
        nst_fail(&sink, NST_ERR_ARGUMENT, "cannot encode TIFF: bad arguments (%dx%d, bit depth %d)",
                 width, height, bit_depth);
        return sink.status;
    }
    nst_tiff_file file = {NULL, 0, out, 0, &sink, NST_ERR_ARGUMENT, "cannot encode TIFF: "};
    TIFF *tiff = nst_tiff_open(&file, "w");
    if (tiff == NULL) {
        nst_buffer_free(out);
        return sink.status;
    }
    size_t row_bytes = (size_t)width * 3 * (size_t)(bit_depth / 8);
    // Strips of about 64 KiB, the size baseline readers are written for.
    uint32_t rows_per_strip = (uint32_t)(65536 / row_bytes > 0 ? 65536 / row_bytes : 1);
    int ok = TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, (uint32_t)width)
          && TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, (uint32_t)height)
          && TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, (uint16_t)bit_depth)
          && TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)3)
          && TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, (uint16_t)PHOTOMETRIC_RGB)
          && TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, (uint16_t)PLANARCONFIG_CONTIG)
          && TIFFSetField(tiff, TIFFTAG_COMPRESSION, (uint16_t)COMPRESSION_NONE)
          && TIFFSetField(tiff, TIFFTAG_ORIENTATION, (uint16_t)ORIENTATION_TOPLEFT)
          && TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, rows_per_strip)
          && TIFFSetField(tiff, TIFFTAG_SOFTWARE, "nst");
    if (ok && icc != NULL && icc_size > 0) ok = TIFFSetField(tiff, TIFFTAG_ICCPROFILE, (uint32_t)icc_size, icc);
    for (int y = 0; ok && y < height; y++) {
        const unsigned char *row = (const unsigned char *)samples + (size_t)y * row_bytes;
        ok = TIFFWriteScanline(tiff, (void *)row, (uint32_t)y, 0) == 1;
    }
    if (ok) ok = TIFFWriteDirectory(tiff);
    TIFFClose(tiff);
    if (!ok) nst_fail(&sink, NST_ERR_ARGUMENT, "cannot encode TIFF: libtiff failed");
    if (sink.status != NST_OK) nst_buffer_free(out);
    return sink.status;
}
