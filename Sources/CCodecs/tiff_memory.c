// tiff_memory.c: libtiff client procedures over memory; its error handler records into the call's sink.
#include "tiff_memory.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const unsigned char *file_bytes(const nst_tiff_file *file, size_t *size) {
    if (file->out != NULL) {
        *size = file->out->size;
        return file->out->data;
    }
    *size = file->size;
    return file->data;
}

static tmsize_t file_read(thandle_t handle, void *buffer, tmsize_t count) {
    nst_tiff_file *file = (nst_tiff_file *)handle;
    size_t size = 0;
    const unsigned char *bytes = file_bytes(file, &size);
    if (count <= 0 || file->position >= size) return 0;
    size_t available = size - (size_t)file->position;
    size_t n = (size_t)count < available ? (size_t)count : available;
    memcpy(buffer, bytes + file->position, n);
    file->position += n;
    return (tmsize_t)n;
}

static tmsize_t file_write(thandle_t handle, void *buffer, tmsize_t count) {
    nst_tiff_file *file = (nst_tiff_file *)handle;
    if (file->out == NULL || count < 0) return -1;
    size_t end = (size_t)file->position + (size_t)count;
    if (end > file->out->size) {
        // Extend with zeros up to the end of this write, then overwrite in place.
        static const unsigned char zeros[4096] = {0};
        while (file->out->size < end) {
            size_t gap = end - file->out->size;
            if (!nst_buffer_append(file->out, zeros, gap < sizeof zeros ? gap : sizeof zeros)) {
                nst_fail(file->sink, NST_ERR_NO_MEMORY, "out of memory encoding TIFF");
                return -1;
            }
        }
    }
    memcpy(file->out->data + file->position, buffer, (size_t)count);
    file->position = end;
    return count;
}

static toff_t file_seek(thandle_t handle, toff_t offset, int whence) {
    nst_tiff_file *file = (nst_tiff_file *)handle;
    size_t size = 0;
    (void)file_bytes(file, &size);
    uint64_t base = whence == SEEK_CUR ? file->position : whence == SEEK_END ? size : 0;
    // libtiff passes negative offsets as large unsigned values; the sum wraps back correctly.
    file->position = base + offset;
    return file->position;
}

static int file_close(thandle_t handle) { (void)handle; return 0; }

static toff_t file_size(thandle_t handle) {
    size_t size = 0;
    (void)file_bytes((nst_tiff_file *)handle, &size);
    return size;
}

static int file_map(thandle_t handle, void **base, toff_t *size) {
    (void)handle; (void)base; (void)size;
    return 0;
}

static void file_unmap(thandle_t handle, void *base, toff_t size) { (void)handle; (void)base; (void)size; }

static int tiff_error(TIFF *tiff, void *user, const char *module, const char *format, va_list args) {
    (void)tiff; (void)module;
    nst_tiff_file *file = (nst_tiff_file *)user;
    char text[256];
    vsnprintf(text, sizeof text, format, args);
    nst_fail_with_library_text(file->sink, file->failure, file->prefix, text);
    return 1;
}

static int tiff_warning(TIFF *tiff, void *user, const char *module, const char *format, va_list args) {
    (void)tiff; (void)user; (void)module; (void)format; (void)args;
    return 1;
}

TIFF *nst_tiff_open(nst_tiff_file *file, const char *mode) {
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (options == NULL) {
        nst_fail(file->sink, NST_ERR_NO_MEMORY, "out of memory starting libtiff");
        return NULL;
    }
    TIFFOpenOptionsSetErrorHandlerExtR(options, tiff_error, file);
    TIFFOpenOptionsSetWarningHandlerExtR(options, tiff_warning, file);
    // A crafted header must not make libtiff allocate more than the largest legal image needs.
    TIFFOpenOptionsSetMaxSingleMemAlloc(options, (tmsize_t)NST_MAX_SIDE * NST_MAX_SIDE * 8);
    TIFF *tiff = TIFFClientOpenExt("memory", mode, (thandle_t)file, file_read, file_write, file_seek,
                                   file_close, file_size, file_map, file_unmap, options);
    TIFFOpenOptionsFree(options);
    if (tiff == NULL) nst_fail(file->sink, file->failure, "%scannot open", file->prefix);
    return tiff;
}
