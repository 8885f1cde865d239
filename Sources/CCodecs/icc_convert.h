// icc_convert.h: converting decoded pixels from an embedded ICC profile to sRGB (internal to the shim).
#ifndef NST_ICC_CONVERT_H
#define NST_ICC_CONVERT_H

#include "codecs_internal.h"

/// What the decoder's samples were before it expanded them to RGB: the embedded profile
/// must describe the same kind of colour.
typedef enum {
    NST_ICC_GRAY = 1, ///< one grey sample per pixel, copied into all three planes
    NST_ICC_RGB = 3   ///< three samples per pixel
} nst_icc_samples;

/// Converts `plane` pixels of planar float RGB (`pixels`: R plane, G plane, B plane, each
/// value in [0, 1]) in place from the ICC profile `profile` (`size` bytes) to sRGB, through
/// Little CMS 2 in floating point, results clamped to [0, 1]. A profile that is sRGB in
/// effect leaves the pixels untouched. Returns 1 on success; otherwise records in `sink`
/// why the profile is unusable (too large, unparsable, not a `samples` profile) and returns 0,
/// leaving the pixels as they were. Nothing is printed.
int nst_icc_to_srgb(const unsigned char *profile, size_t size, nst_icc_samples samples, float *pixels,
                    size_t plane, nst_error_sink *sink);

#endif
