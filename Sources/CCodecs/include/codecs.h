// codecs.h: C shim over libpng, libjpeg and libtiff that turns their errors into return codes.
#ifndef NST_CODECS_H
#define NST_CODECS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The largest width or height accepted by the decoders; larger images are
/// refused before any pixel memory is allocated.
#define NST_MAX_SIDE 16384

/// The most pixels a decoded image may have (2^27, e.g. 16384x8192): refused from the
/// header, before any pixel memory is allocated, since a few megabytes of compressed data
/// can describe gigabytes of pixels.
#define NST_MAX_PIXELS (1UL << 27)

/// The largest embedded ICC profile accepted (16 MiB; real profiles are a few kilobytes,
/// large LUT ones a few megabytes). A larger one is refused before Little CMS reads it.
#define NST_MAX_ICC_BYTES (16 << 20)

/// Outcome of a codec call. Every failure also fills the caller's message buffer
/// with one line of text (without the file name, which only the caller knows).
typedef enum {
    NST_OK = 0,
    NST_ERR_CORRUPT = 1,     ///< the data is not a valid image of the format
    NST_ERR_TRUNCATED = 2,   ///< the data ends before the image does
    NST_ERR_TOO_LARGE = 3,   ///< a side is zero or over NST_MAX_SIDE
    NST_ERR_NO_MEMORY = 4,   ///< an allocation failed
    NST_ERR_UNSUPPORTED = 5, ///< valid data the decoder cannot handle (e.g. 12-bit JPEG)
    NST_ERR_ARGUMENT = 6     ///< the caller passed inconsistent arguments
} nst_status;

/// A decoded image: `pixels` holds 3 * width * height floats, planar (CHW) RGB in
/// [0, 1], allocated with malloc; release it with nst_image_free.
typedef struct {
    int width;
    int height;
    float *pixels;
} nst_image;

/// A growable byte buffer filled by the encoders; release it with nst_buffer_free.
typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
} nst_buffer;

/// Decodes a PNG held in memory. 8-bit samples become v/255, 16-bit samples
/// v/65535 (no gamma conversion); grey and palette images become RGB; alpha
/// (including tRNS) is composited on white. An embedded ICC profile (iCCP chunk) is
/// honoured: the pixels are converted from it to sRGB (see the ICC note below).
/// Never prints and never exits.
/// `memory_budget` (0: none) bounds the bytes the decode and the caller's copy of its
/// pixels may take; a larger image is refused with NST_ERR_NO_MEMORY before allocating.
nst_status nst_decode_png(const unsigned char *data, size_t size, size_t memory_budget, nst_image *out,
                          char *message, size_t message_capacity);

/// Decodes a JPEG held in memory to RGB v/255 (grey and CMYK become RGB). A grey or RGB
/// image's embedded ICC profile (APP2 ICC_PROFILE markers) is honoured; a CMYK image's is
/// not (its inks are converted as before, without a profile).
/// Data that ends early or whose entropy-coded data is corrupt is an error,
/// not the warning libjpeg makes of it by default. Never prints and never exits.
/// `memory_budget` as for nst_decode_png.
nst_status nst_decode_jpeg(const unsigned char *data, size_t size, size_t memory_budget, nst_image *out,
                           char *message, size_t message_capacity);

/// Encodes interleaved 8-bit RGB (3 * width * height bytes, rows top to bottom)
/// as a PNG into `out` (which must start zeroed).
nst_status nst_encode_png_rgb8(const unsigned char *rgb, int width, int height, nst_buffer *out,
                               char *message, size_t message_capacity);

/// Encodes RGB rows laid out as PNG stores them (8-bit samples, or big-endian 16-bit
/// ones) at `bit_depth` 8 or 16; `srgb` adds an sRGB chunk (perceptual intent) with the
/// gAMA and cHRM chunks the PNG specification pairs with it.
nst_status nst_encode_png_rgb(const unsigned char *rows, int width, int height, int bit_depth, int srgb,
                              nst_buffer *out, char *message, size_t message_capacity);

/// Encodes interleaved RGB samples (8-bit bytes, or 16-bit values in host order) as an
/// uncompressed baseline TIFF (one strip per 64 KiB or so, contiguous RGB); `icc`, when
/// not NULL, is an ICC profile of `icc_size` bytes stored in the ICCProfile tag.
nst_status nst_encode_tiff_rgb(const void *samples, int width, int height, int bit_depth,
                               const unsigned char *icc, size_t icc_size, nst_buffer *out,
                               char *message, size_t message_capacity);

/// Decodes a TIFF held in memory (the first image): 8- and 16-bit RGB and grey with or
/// without alpha are read at full precision (v/255 or v/65535); every other kind libtiff
/// can convert (palette, YCbCr, CMYK, tiled, other bit depths) through its RGBA reader at
/// 8 bits. Alpha is composited on white. The ICCProfile tag is honoured for RGB, palette,
/// YCbCr and black-is-zero grey images (not for CMYK, Lab or white-is-zero ones, which read
/// as before). libtiff's messages become the error text; nothing is printed.
/// `memory_budget` as for nst_decode_png.
///
/// ICC note, for all three decoders: after decoding, pixels are converted from the embedded
/// profile to sRGB by Little CMS 2 in floating point (relative colorimetric, results
/// clamped to [0, 1]); a profile that is sRGB in effect leaves them untouched, as does the
/// absence of one. A profile over NST_MAX_ICC_BYTES, one Little CMS cannot read, or one
/// whose colour space is not the image's (CMYK on RGB data) fails the decode with a message
/// starting "embedded ICC profile is unusable: ".
nst_status nst_decode_tiff(const unsigned char *data, size_t size, size_t memory_budget, nst_image *out,
                           char *message, size_t message_capacity);

/// Encodes rows already laid out as PNG stores them (packed low bit depths,
/// big-endian 16-bit samples), for any bit depth and colour type libpng accepts.
/// `palette` holds `palette_count` RGB triples (colour type 3 only); `trns_alpha`
/// holds `trns_count` palette alpha values (colour type 3 only, may be NULL).
/// `interlace` selects Adam7. Used to make test fixtures of every PNG flavour.
nst_status nst_encode_png_raw(const unsigned char *rows, int width, int height, int bit_depth,
                              int color_type, const unsigned char *palette, int palette_count,
                              const unsigned char *trns_alpha, int trns_count, int interlace,
                              nst_buffer *out, char *message, size_t message_capacity);

/// Encodes interleaved 8-bit samples as a baseline (or progressive) JPEG: 1
/// component is grey, 3 RGB, 4 CMYK written with an Adobe marker (so the samples
/// are taken in Adobe's inverted convention, 255 = no ink). Used to make test fixtures.
nst_status nst_encode_jpeg_raw(const unsigned char *samples, int width, int height, int components,
                               int quality, int progressive, nst_buffer *out, char *message,
                               size_t message_capacity);

/// Frees the pixels of an image decoded by this shim and zeroes it.
void nst_image_free(nst_image *image);

/// Frees a buffer filled by an encoder and zeroes it.
void nst_buffer_free(nst_buffer *buffer);

#ifdef __cplusplus
}
#endif

#endif
