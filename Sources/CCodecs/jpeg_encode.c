// jpeg_encode.c: JPEG encoding into memory (grey, RGB, Adobe CMYK), used to make test fixtures.
#include "jpeg_trap.h"

#include <stdlib.h>
#include <string.h>

/// A destination manager that appends to an nst_buffer through a fixed chunk.
typedef struct {
    struct jpeg_destination_mgr manager;
    nst_buffer *out;
    unsigned char chunk[4096];
} buffer_destination;

/// Heap-held state of one encode, valid after a longjmp (see png_decode.c).
typedef struct {
    nst_error_sink sink;
    jpeg_error_trap trap;
    struct jpeg_compress_struct info;
    buffer_destination destination;
} jpeg_encoder;

static void destination_init(j_compress_ptr info) {
    buffer_destination *destination = (buffer_destination *)info->dest;
    destination->manager.next_output_byte = destination->chunk;
    destination->manager.free_in_buffer = sizeof destination->chunk;
}

static boolean destination_empty(j_compress_ptr info) {
    buffer_destination *destination = (buffer_destination *)info->dest;
    if (!nst_buffer_append(destination->out, destination->chunk, sizeof destination->chunk)) {
        ERREXIT1(info, JERR_OUT_OF_MEMORY, 0);
    }
    destination_init(info);
    return TRUE;
}

static void destination_term(j_compress_ptr info) {
    buffer_destination *destination = (buffer_destination *)info->dest;
    size_t used = sizeof destination->chunk - destination->manager.free_in_buffer;
    if (!nst_buffer_append(destination->out, destination->chunk, used)) {
        ERREXIT1(info, JERR_OUT_OF_MEMORY, 0);
    }
}

static void jpeg_encoder_error_exit(j_common_ptr info) {
    jpeg_error_trap *trap = (jpeg_error_trap *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    nst_status status = info->err->msg_code == JERR_OUT_OF_MEMORY ? NST_ERR_NO_MEMORY : NST_ERR_ARGUMENT;
    nst_fail_with_library_text(trap->sink, status, "cannot encode JPEG: ", text);
    longjmp(trap->jump, 1);
}

static void jpeg_encode_run(jpeg_encoder *encoder, const unsigned char *samples, int width, int height,
                            int components, int quality, int progressive) {
    struct jpeg_compress_struct *info = &encoder->info;
    info->err = nst_jpeg_trap_init(&encoder->trap, &encoder->sink, jpeg_encoder_error_exit, NULL);
    if (setjmp(encoder->trap.jump)) return;

    jpeg_create_compress(info);
    encoder->destination.manager.init_destination = destination_init;
    encoder->destination.manager.empty_output_buffer = destination_empty;
    encoder->destination.manager.term_destination = destination_term;
    info->dest = &encoder->destination.manager;
    info->image_width = (JDIMENSION)width;
    info->image_height = (JDIMENSION)height;
    info->input_components = components;
    info->in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(info);
    // jpeg_set_defaults stores CMYK as CMYK with an Adobe marker (samples taken as given).
    jpeg_set_quality(info, quality, TRUE);
    if (progressive) jpeg_simple_progression(info);
    jpeg_start_compress(info, TRUE);
    size_t row_bytes = (size_t)width * (size_t)components;
    while (info->next_scanline < info->image_height) {
        JSAMPROW row = (JSAMPROW)(samples + info->next_scanline * row_bytes);
        jpeg_write_scanlines(info, &row, 1);
    }
    jpeg_finish_compress(info);
}

nst_status nst_encode_jpeg_raw(const unsigned char *samples, int width, int height, int components,
                               int quality, int progressive, nst_buffer *out, char *message,
                               size_t message_capacity) {
    nst_error_sink argument_sink = {NST_OK, message, message_capacity};
    if (samples == NULL || out == NULL || width < 1 || height < 1 || width > 65500 || height > 65500 ||
        (components != 1 && components != 3 && components != 4) || quality < 1 || quality > 100) {
        nst_fail(&argument_sink, NST_ERR_ARGUMENT,
                 "cannot encode JPEG: bad arguments (%dx%d, %d components, quality %d)", width, height,
                 components, quality);
        return argument_sink.status;
    }
    jpeg_encoder *encoder = calloc(1, sizeof *encoder);
    if (encoder == NULL) {
        nst_fail(&argument_sink, NST_ERR_NO_MEMORY, "out of memory starting the JPEG encoder");
        return argument_sink.status;
    }
    encoder->sink = argument_sink;
    encoder->destination.out = out;
    jpeg_encode_run(encoder, samples, width, height, components, quality, progressive);

    nst_status status = encoder->sink.status;
    if (status != NST_OK) nst_buffer_free(out);
    // Safe on a zeroed struct too (creation failed): destroy skips a NULL memory manager.
    jpeg_destroy_compress(&encoder->info);
    free(encoder);
    return status;
}
