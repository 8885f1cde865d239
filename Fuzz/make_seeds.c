// make_seeds.c: writes small PNG, JPEG and TIFF seeds of the flavours the image tests cover, for the decode_image fuzz target.
#include "codecs.h"

#include <lcms2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void save(const char *folder, const char *name, nst_buffer *buffer) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    FILE *file = fopen(path, "wb");
    if (file != NULL) {
        fwrite(buffer->data, 1, buffer->size, file);
        fclose(file);
    }
    nst_buffer_free(buffer);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds FOLDER\n");
        return 1;
    }
    unsigned char samples[4 * 2 * 13 * 9];
    for (size_t i = 0; i < sizeof samples; i++) samples[i] = (unsigned char)(i * 37 + 11);
    char message[256];
    unsigned char palette[3 * 4] = {0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255};
    unsigned char alpha[2] = {0, 128};
    // PNG: colour type, bit depth and interlace of each seed (rows as PNG stores them).
    const int png[][3] = {{0, 1, 0}, {0, 8, 0}, {0, 16, 1}, {2, 8, 0}, {2, 16, 0}, {3, 2, 0}, {4, 8, 1}, {6, 8, 0}, {6, 16, 1}};
    for (size_t k = 0; k < sizeof png / sizeof png[0]; k++) {
        nst_buffer buffer = {0};
        int trns = png[k][0] == 3;
        if (nst_encode_png_raw(samples, 13, 9, png[k][1], png[k][0], trns ? palette : NULL, trns ? 4 : 0,
                               trns ? alpha : NULL, trns ? 2 : 0, png[k][2], &buffer, message, sizeof message) == NST_OK) {
            char name[64];
            snprintf(name, sizeof name, "seed-%d-%d-%d.png", png[k][0], png[k][1], png[k][2]);
            save(argv[1], name, &buffer);
        }
    }
    // JPEG: grey, RGB, CMYK, each baseline and progressive.
    const int components[] = {1, 3, 4};
    for (int c = 0; c < 3; c++) {
        for (int progressive = 0; progressive < 2; progressive++) {
            nst_buffer buffer = {0};
            if (nst_encode_jpeg_raw(samples, 13, 9, components[c], 75, progressive, &buffer, message, sizeof message) == NST_OK) {
                char name[64];
                snprintf(name, sizeof name, "seed-%d-%d.jpg", components[c], progressive);
                save(argv[1], name, &buffer);
            }
        }
    }
    // TIFF: 8- and 16-bit RGB, without a profile and with an Adobe-RGB-like one (Little CMS
    // makes it, as the ICC tests do), so that the conversion to sRGB is fuzzed too.
    unsigned short samples16[3 * 13 * 9];
    for (size_t i = 0; i < sizeof samples16 / sizeof samples16[0]; i++) samples16[i] = (unsigned short)(i * 4099 + 7);
    unsigned char icc[4096];
    cmsUInt32Number icc_size = 0;
    cmsCIExyY white = {0.3127, 0.3290, 1};
    cmsCIExyYTRIPLE primaries = {{0.64, 0.33, 1}, {0.21, 0.71, 1}, {0.15, 0.06, 1}};
    cmsToneCurve *curve = cmsBuildGamma(NULL, 2.2);
    cmsToneCurve *curves[3] = {curve, curve, curve};
    cmsHPROFILE profile = curve != NULL ? cmsCreateRGBProfile(&white, &primaries, curves) : NULL;
    if (profile == NULL || !cmsSaveProfileToMem(profile, NULL, &icc_size) || icc_size > sizeof icc
        || !cmsSaveProfileToMem(profile, icc, &icc_size)) icc_size = 0;
    if (profile != NULL) cmsCloseProfile(profile);
    if (curve != NULL) cmsFreeToneCurve(curve);
    for (int bits = 8; bits <= 16; bits += 8) {
        nst_buffer buffer = {0};
        const void *rgb = bits == 8 ? (const void *)samples : (const void *)samples16;
        const int tagged = bits == 16 && icc_size > 0;
        if (nst_encode_tiff_rgb(rgb, 13, 9, bits, tagged ? icc : NULL, tagged ? icc_size : 0, &buffer,
                                message, sizeof message) == NST_OK) {
            char name[64];
            snprintf(name, sizeof name, "seed-%d.tiff", bits);
            save(argv[1], name, &buffer);
        }
    }
    return 0;
}
