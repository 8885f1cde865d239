// decode_image.c: libFuzzer target for the image decoders of the C shim (PNG and JPEG, chosen by the first byte).
#include "codecs.h"

#include <stddef.h>
#include <stdint.h>

/// Decodes `data` as PNG or JPEG (whichever its first bytes claim, as Image.load does) with a
/// 256 MiB budget, so that images the fuzzer describes as huge are refused, as in `nst`.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nst_image image = {0};
    char message[512];
    const size_t budget = (size_t)256 << 20;
    if (size >= 2 && data[0] == 0xFF && data[1] == 0xD8) {
        nst_decode_jpeg(data, size, budget, &image, message, sizeof message);
    } else {
        nst_decode_png(data, size, budget, &image, message, sizeof message);
    }
    nst_image_free(&image);
    return 0;
}
