// icc_convert.c: converts decoded pixels from an embedded ICC profile to sRGB through Little CMS 2.
#include "icc_convert.h"

#include <lcms2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Pixels converted per lcms call: the planes are interleaved through two small buffers
/// instead of a second copy of the image.
#define ICC_CHUNK 4096

/// How close a profile's colorants (D50-adapted XYZ) must be to sRGB's for it to count as sRGB.
/// Published sRGB profiles agree with lcms's to about 1e-4 (s15.16 rounding, the choice of D65
/// and of adaptation); other RGB spaces differ by 1e-2 or more.
#define ICC_SRGB_COLORANT_TOLERANCE 5e-4

/// How close a profile's tone curve, followed by sRGB's inverse, must stay to the identity (in
/// encoded values, an eighth of an 8-bit level) for it to count as sRGB's curve. Tabulated
/// sRGB curves (1024 16-bit entries) are within about 1e-4; gamma 2.2 is 1e-2 away.
#define ICC_SRGB_CURVE_TOLERANCE 5e-4

/// lcms's first error message of one conversion, kept in its context's user data.
typedef struct {
    char text[200];
} icc_log;

static void icc_log_error(cmsContext context, cmsUInt32Number code, const char *text) {
    (void)code;
    icc_log *log = (icc_log *)cmsGetContextUserData(context);
    if (log != NULL && log->text[0] == '\0' && text != NULL) snprintf(log->text, sizeof log->text, "%s", text);
}

/// The four-letter colour space signature as text ("CMYK", "Lab"), for messages.
static void icc_signature_text(cmsUInt32Number signature, char text[5]) {
    int n = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        char c = (char)((signature >> shift) & 0xFF);
        text[n++] = (c >= 0x21 && c <= 0x7E) ? c : ' ';
    }
    while (n > 0 && text[n - 1] == ' ') n--;
    text[n] = '\0';
    if (n == 0) snprintf(text, 5, "none");
}

/// NaN and values below 0 become 0, values above 1 become 1 (out-of-gamut colours).
static float icc_clamp(float v) { return v > 0 ? (v < 1 ? v : 1) : 0; }

/// 1 when `curve` followed by `inverse` (sRGB's curve reversed) stays within
/// ICC_SRGB_CURVE_TOLERANCE of the identity at 1024 points.
static int icc_curve_is_srgb(const cmsToneCurve *curve, const cmsToneCurve *inverse) {
    for (int i = 0; i < 1024; i++) {
        float x = (float)i / 1023.0f;
        float moved = cmsEvalToneCurveFloat(inverse, cmsEvalToneCurveFloat(curve, x)) - x;
        // Written so that a NaN counts as moved.
        if (!(moved <= ICC_SRGB_CURVE_TOLERANCE && moved >= -ICC_SRGB_CURVE_TOLERANCE)) return 0;
    }
    return 1;
}

/// 1 when `source` is sRGB in effect: a matrix/TRC profile (no lookup tables, which lcms would
/// use instead) whose colorants and curves are sRGB's (`srgb`, lcms's own) within the tolerances
/// above, or a grey one whose curve is sRGB's. Converting such a profile would only move pixels by
/// its own rounding (up to 2e-3 in dark channels next to bright ones, for the s15.16 colorants of
/// the profile nst writes into TIFFs), so its pixels are left exactly as decoded instead: files
/// tagged sRGB read as they did before profiles were honoured. -1 when memory ran out.
static int icc_is_srgb(cmsHPROFILE source, cmsHPROFILE srgb, nst_icc_samples samples) {
    const cmsTagSignature tables[] = {cmsSigAToB0Tag, cmsSigAToB1Tag, cmsSigAToB2Tag,
                                      cmsSigDToB0Tag, cmsSigDToB1Tag, cmsSigDToB2Tag};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        if (cmsIsTag(source, tables[i])) return 0;
    }
    const cmsToneCurve *srgb_curve = cmsReadTag(srgb, cmsSigRedTRCTag);
    if (srgb_curve == NULL) return -1;
    cmsToneCurve *inverse = cmsReverseToneCurve(srgb_curve);
    if (inverse == NULL) return -1;
    int same = 1;
    if (samples == NST_ICC_GRAY) {
        const cmsToneCurve *curve = cmsReadTag(source, cmsSigGrayTRCTag);
        same = curve != NULL && icc_curve_is_srgb(curve, inverse);
    } else {
        const cmsTagSignature colorants[3] = {cmsSigRedColorantTag, cmsSigGreenColorantTag, cmsSigBlueColorantTag};
        const cmsTagSignature curves[3] = {cmsSigRedTRCTag, cmsSigGreenTRCTag, cmsSigBlueTRCTag};
        for (int c = 0; c < 3 && same; c++) {
            const cmsCIEXYZ *mine = cmsReadTag(source, colorants[c]), *theirs = cmsReadTag(srgb, colorants[c]);
            const cmsToneCurve *curve = cmsReadTag(source, curves[c]);
            same = mine != NULL && theirs != NULL && curve != NULL
                && fabs(mine->X - theirs->X) <= ICC_SRGB_COLORANT_TOLERANCE
                && fabs(mine->Y - theirs->Y) <= ICC_SRGB_COLORANT_TOLERANCE
                && fabs(mine->Z - theirs->Z) <= ICC_SRGB_COLORANT_TOLERANCE
                && icc_curve_is_srgb(curve, inverse);
        }
    }
    cmsFreeToneCurve(inverse);
    return same;
}

/// Runs `transform` over the planes, ICC_CHUNK pixels at a time. Returns 0 when memory ran out.
static int icc_apply(cmsHTRANSFORM transform, nst_icc_samples samples, float *pixels, size_t plane) {
    float *in = malloc(sizeof(float) * 3 * ICC_CHUNK), *out = malloc(sizeof(float) * 3 * ICC_CHUNK);
    if (in == NULL || out == NULL) {
        free(in);
        free(out);
        return 0;
    }
    float *red = pixels, *green = red + plane, *blue = green + plane;
    for (size_t start = 0; start < plane; start += ICC_CHUNK) {
        size_t n = plane - start < ICC_CHUNK ? plane - start : ICC_CHUNK;
        for (size_t i = 0; i < n; i++) {
            if (samples == NST_ICC_GRAY) {
                in[i] = red[start + i]; // the decoder copied the grey sample into all three planes
            } else {
                in[3 * i] = red[start + i];
                in[3 * i + 1] = green[start + i];
                in[3 * i + 2] = blue[start + i];
            }
        }
        cmsDoTransform(transform, in, out, (cmsUInt32Number)n);
        for (size_t i = 0; i < n; i++) {
            red[start + i] = icc_clamp(out[3 * i]);
            green[start + i] = icc_clamp(out[3 * i + 1]);
            blue[start + i] = icc_clamp(out[3 * i + 2]);
        }
    }
    free(in);
    free(out);
    return 1;
}

/// Why the transform cannot be a colour conversion, or NULL: it gives a value that is no
/// number, or maps every colour to one (a degenerate profile: a gamma of 0, a singular
/// matrix), which would turn any image into a flat white or black one.
static const char *icc_degenerate(cmsHTRANSFORM transform, nst_icc_samples samples) {
    // The corners of the RGB cube and mid-grey, or black, mid-grey and white.
    float in[27] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0.5f, 0.5f, 0.5f};
    float grey[3] = {0, 0.5f, 1};
    float out[27];
    cmsUInt32Number n = samples == NST_ICC_GRAY ? 3 : 9;
    cmsDoTransform(transform, samples == NST_ICC_GRAY ? (const void *)grey : (const void *)in, out, n);
    float spread = 0;
    for (cmsUInt32Number i = 0; i < 3 * n; i++) {
        if (!isfinite(out[i])) return "it gives values that are not numbers";
    }
    for (cmsUInt32Number i = 1; i < n; i++) {
        for (int c = 0; c < 3; c++) {
            float d = fabsf(icc_clamp(out[3 * i + c]) - icc_clamp(out[c]));
            if (d > spread) spread = d;
        }
    }
    return spread < 1.0f / 255 ? "it maps every colour to one (a degenerate profile: a gamma of 0, or a singular matrix)" : NULL;
}

/// Checks that `source` describes the colours of `samples` and is a colour space of a device
/// (not a link between two, nor an abstract or named-colour profile); records why not.
static int icc_check_profile(cmsHPROFILE source, nst_icc_samples samples, nst_error_sink *sink) {
    cmsProfileClassSignature kind = cmsGetDeviceClass(source);
    if (kind == cmsSigLinkClass || kind == cmsSigAbstractClass || kind == cmsSigNamedColorClass) {
        char text[5];
        icc_signature_text((cmsUInt32Number)kind, text);
        nst_fail(sink, NST_ERR_CORRUPT,
                 "embedded ICC profile is unusable: it is of class '%s', not one that describes image colours", text);
        return 0;
    }
    cmsColorSpaceSignature space = cmsGetColorSpace(source);
    if (space != (samples == NST_ICC_GRAY ? cmsSigGrayData : cmsSigRgbData)) {
        char text[5];
        icc_signature_text((cmsUInt32Number)space, text);
        nst_fail(sink, NST_ERR_CORRUPT, "embedded ICC profile is unusable: it describes %s colours but the image holds %s",
                 text, samples == NST_ICC_GRAY ? "grey" : "RGB");
        return 0;
    }
    return 1;
}

int nst_icc_to_srgb(const unsigned char *profile, size_t size, nst_icc_samples samples, float *pixels,
                    size_t plane, nst_error_sink *sink) {
    if (size > NST_MAX_ICC_BYTES) {
        nst_fail(sink, NST_ERR_UNSUPPORTED, "embedded ICC profile is unusable: %zu bytes, over the limit of %d MiB",
                 size, NST_MAX_ICC_BYTES >> 20);
        return 0;
    }
    // A context of its own per conversion: its error handler collects lcms's message for this
    // file only (decodes may run on several threads), and lcms itself never prints.
    icc_log log = {{0}};
    cmsContext context = cmsCreateContext(NULL, &log);
    if (context == NULL) {
        nst_fail(sink, NST_ERR_NO_MEMORY, "out of memory starting colour management");
        return 0;
    }
    cmsSetLogErrorHandlerTHR(context, icc_log_error);
    cmsHPROFILE source = cmsOpenProfileFromMemTHR(context, profile, (cmsUInt32Number)size);
    cmsHPROFILE srgb = NULL;
    cmsHTRANSFORM transform = NULL;
    int ok = 0, same = 0;
    if (source == NULL) {
        nst_fail_with_library_text(sink, NST_ERR_CORRUPT, "embedded ICC profile is unusable: ",
                                   log.text[0] ? log.text : "not an ICC profile");
        goto done;
    }
    if (!icc_check_profile(source, samples, sink)) goto done;
    srgb = cmsCreate_sRGBProfileTHR(context);
    if (srgb == NULL) {
        nst_fail(sink, NST_ERR_NO_MEMORY, "out of memory starting colour management");
        goto done;
    }
    same = icc_is_srgb(source, srgb, samples);
    if (same != 0) {
        if (same < 0) nst_fail(sink, NST_ERR_NO_MEMORY, "out of memory starting colour management");
        ok = same > 0;
        goto done;
    }
    // Relative colorimetric: colours inside sRGB's gamut keep their measured values (white
    // mapped to white), the rest are clipped. Perceptual would hand matrix profiles the same
    // result and LUT profiles a vendor's own gamut compression, which differs from one
    // profile maker to the next. Floating point in and out keeps 16-bit samples' precision
    // (lcms does not resample float transforms through 8- or 16-bit tables; nor do they use
    // its cache of the last 16-bit colour, hence NOCACHE, which skips filling it).
    transform = cmsCreateTransformTHR(context, source, samples == NST_ICC_GRAY ? TYPE_GRAY_FLT : TYPE_RGB_FLT, srgb,
                                      TYPE_RGB_FLT, INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_NOCACHE);
    if (transform == NULL) {
        nst_fail_with_library_text(sink, NST_ERR_UNSUPPORTED, "embedded ICC profile is unusable: ",
                                   log.text[0] ? log.text : "no transform to sRGB can be made from it");
        goto done;
    }
    const char *degenerate = icc_degenerate(transform, samples);
    if (degenerate != NULL) {
        nst_fail(sink, NST_ERR_CORRUPT, "embedded ICC profile is unusable: %s", degenerate);
        goto done;
    }
    ok = icc_apply(transform, samples, pixels, plane);
    if (!ok) nst_fail(sink, NST_ERR_NO_MEMORY, "out of memory converting the image to sRGB");
done:
    if (transform != NULL) cmsDeleteTransform(transform);
    if (srgb != NULL) cmsCloseProfile(srgb);
    if (source != NULL) cmsCloseProfile(source);
    cmsDeleteContext(context);
    return ok;
}
