// codecs.c: the parts of the codec shim shared by PNG and JPEG: messages, limits, freeing.
#include "codecs_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nst_fail(nst_error_sink *sink, nst_status status, const char *format, ...) {
    if (sink->status != NST_OK) return;
    sink->status = status;
    if (sink->message == NULL || sink->message_capacity == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(sink->message, sink->message_capacity, format, args);
    va_end(args);
}

void nst_fail_with_library_text(nst_error_sink *sink, nst_status status, const char *prefix,
                                const char *text) {
    char lowered[256];
    snprintf(lowered, sizeof lowered, "%s", text != NULL ? text : "unknown error");
    if (isupper((unsigned char)lowered[0]) && islower((unsigned char)lowered[1])) {
        lowered[0] = (char)tolower((unsigned char)lowered[0]);
    }
    nst_fail(sink, status, "%s%s", prefix, lowered);
}

int nst_refuse_dimensions(nst_error_sink *sink, unsigned long width, unsigned long height) {
    if (width == 0 || height == 0) {
        nst_fail(sink, NST_ERR_TOO_LARGE, "image is %lux%lu pixels; an image needs at least one pixel",
                 width, height);
        return 1;
    }
    if (width > NST_MAX_SIDE || height > NST_MAX_SIDE) {
        nst_fail(sink, NST_ERR_TOO_LARGE, "image is %lux%lu pixels; the limit is %d on a side",
                 width, height, NST_MAX_SIDE);
        return 1;
    }
    if ((unsigned long long)width * height > NST_MAX_PIXELS) {
        nst_fail(sink, NST_ERR_TOO_LARGE, "image is %lux%lu pixels (%.0f megapixels); the limit is %.0f megapixels",
                 width, height, (double)width * (double)height / 1e6, (double)NST_MAX_PIXELS / 1e6);
        return 1;
    }
    return 0;
}

int nst_refuse_memory(nst_error_sink *sink, unsigned long width, unsigned long height, size_t working,
                      size_t budget) {
    // Sides are at most NST_MAX_SIDE here, so none of these products overflow 64 bits.
    unsigned long long needed = (unsigned long long)working + 2ULL * 3 * sizeof(float) * width * height;
    if (budget == 0 || needed <= budget) return 0;
    nst_fail(sink, NST_ERR_NO_MEMORY, "decoding this %lux%lu image needs %.0f MiB, but only %.0f MiB of memory are available",
             width, height, (double)needed / 1048576.0, (double)budget / 1048576.0);
    return 1;
}

int nst_buffer_append(nst_buffer *buffer, const void *bytes, size_t count) {
    if (count > buffer->capacity - buffer->size) {
        size_t capacity = buffer->capacity > 0 ? buffer->capacity : 4096;
        while (capacity - buffer->size < count) {
            if (capacity > SIZE_MAX / 2) return 0;
            capacity *= 2;
        }
        unsigned char *grown = realloc(buffer->data, capacity);
        if (grown == NULL) return 0;
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size, bytes, count);
    buffer->size += count;
    return 1;
}

void nst_image_free(nst_image *image) {
    if (image == NULL) return;
    free(image->pixels);
    memset(image, 0, sizeof *image);
}

void nst_buffer_free(nst_buffer *buffer) {
    if (buffer == NULL) return;
    free(buffer->data);
    memset(buffer, 0, sizeof *buffer);
}
