// video_write.c: encodes planar float RGB frames to MP4 (H.264), WebM (VP9) or GIF through libavcodec/libavformat, optionally copying another file's audio.
// Built only with FFmpeg (NST_WITHOUT_FFMPEG, the GPU bundle's build, gives video_absent.c instead).
#ifndef NST_WITHOUT_FFMPEG
#include "video_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

struct nst_video_writer {
    nst_video_format kind;
    AVFormatContext *format;
    AVIOContext *io;
    AVCodecContext *encoder;
    AVStream *stream;
    AVFrame *frame;
    AVPacket *packet;
    struct SwsContext *scaler;
    uint8_t *rgb;              ///< one packed RGB24 frame, rows of `rgb_stride` bytes
    int rgb_stride;
    int width, height;
    int64_t next_pts;          ///< in frames (the encoder's time base is 1/fps)
    int header_written;
    int finished;
    // The audio copied from another file: its demuxer, stream and next packet.
    AVFormatContext *audio_format;
    int audio_fd;
    int audio_source_stream;
    AVStream *audio_stream;
    AVPacket *audio_packet;
    int64_t audio_offset;      ///< subtracted from its timestamps (the source's time base)
    int audio_pending;         ///< `audio_packet` was read but not yet written
    int audio_done;
    char audio_demuxer_error[256];  ///< an error its demuxer logged while opening ("" when none)
};

/// Records a failure of the muxer or encoder: a write error of the descriptor (disk full)
/// when the I/O context saw one, otherwise the library's own.
static void fail_output(nst_video_writer *writer, nst_video_sink *sink, const char *prefix, int result) {
    if (writer->io != NULL && writer->io->error < 0) {
        nst_video_fail_av(sink, NST_VIDEO_ERR_WRITE, "cannot write", writer->io->error);
    } else {
        nst_video_fail_av(sink, result == AVERROR(ENOMEM) ? NST_VIDEO_ERR_NO_MEMORY : NST_VIDEO_ERR_ENCODE, prefix, result);
    }
}

nst_video_status nst_video_writer_open(int fd, nst_video_format kind, int width, int height, double fps, int crf,
                                       nst_video_writer **out, char *message, size_t message_capacity) {
    nst_video_begin_call();
    nst_video_sink sink = {NST_VIDEO_OK, message, message_capacity};
    *out = NULL;
    static const char *const containers[] = {"mp4", "webm", "gif"};
    static const char *const encoders[] = {"libx264", "libvpx-vp9", "gif"};
    int even_width = 0, even_height = 0, lowest = 0, highest = 0, fallback = 0;
    if (kind != NST_VIDEO_MP4 && kind != NST_VIDEO_WEBM && kind != NST_VIDEO_GIF) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "unknown video format %d", (int)kind);
        return sink.status;
    }
    nst_video_codec_size(kind, width, height, &even_width, &even_height);
    nst_video_crf_range(kind, &lowest, &highest, &fallback);
    if (width < 1 || height < 1 || width > NST_VIDEO_MAX_SIDE || height > NST_VIDEO_MAX_SIDE) {
        nst_video_fail(&sink, NST_VIDEO_ERR_SIZE, "a video of %dx%d pixels cannot be written; each side must be 1 to %d",
                       width, height, NST_VIDEO_MAX_SIDE);
    } else if (even_width != width || even_height != height) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "%dx%d cannot be encoded as yuv420p; the sides must be even (%dx%d)",
                       width, height, even_width, even_height);
    } else if (!isfinite(fps) || fps <= 0 || fps > 1000) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "a frame rate of %g cannot be written; it must be above 0 and at most 1000", fps);
    } else if (kind != NST_VIDEO_GIF && crf != -1 && (crf < lowest || crf > highest)) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "crf %d is out of range (%d to %d)", crf, lowest, highest);
    } else if (fd < 0) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "no file descriptor given");
    }
    if (sink.status != NST_VIDEO_OK) return sink.status;

    const AVCodec *codec = avcodec_find_encoder_by_name(encoders[kind]);
    if (codec == NULL) {
        nst_video_fail(&sink, NST_VIDEO_ERR_UNSUPPORTED, "this FFmpeg build has no %s encoder", encoders[kind]);
        return sink.status;
    }
    nst_video_writer *writer = calloc(1, sizeof *writer);
    if (writer == NULL) {
        nst_video_fail(&sink, NST_VIDEO_ERR_NO_MEMORY, "out of memory starting the video");
        return sink.status;
    }
    writer->kind = kind;
    writer->width = width;
    writer->height = height;
    writer->audio_fd = -1;
    int result = avformat_alloc_output_context2(&writer->format, NULL, containers[kind], NULL);
    if (result < 0 || writer->format == NULL) {
        nst_video_fail_av(&sink, NST_VIDEO_ERR_UNSUPPORTED, "the container cannot be made", result < 0 ? result : AVERROR_MUXER_NOT_FOUND);
        nst_video_writer_free(writer);
        return sink.status;
    }
    writer->io = nst_video_fd_io(fd, 1);
    writer->stream = avformat_new_stream(writer->format, NULL);
    writer->encoder = avcodec_alloc_context3(codec);
    writer->frame = av_frame_alloc();
    writer->packet = av_packet_alloc();
    writer->rgb_stride = FFALIGN(3 * width, 64);
    writer->rgb = av_malloc((size_t)writer->rgb_stride * (size_t)height);
    if (writer->io == NULL || writer->stream == NULL || writer->encoder == NULL || writer->frame == NULL
        || writer->packet == NULL || writer->rgb == NULL) {
        nst_video_fail(&sink, NST_VIDEO_ERR_NO_MEMORY, "out of memory starting the video");
        nst_video_writer_free(writer);
        return sink.status;
    }
    writer->format->pb = writer->io;

    // 29.97 given as 30000/1001.0 comes back as 30000/1001: the best fraction with a
    // denominator up to 100000.
    AVRational rate = av_d2q(fps, 100000);
    AVCodecContext *encoder = writer->encoder;
    encoder->width = width;
    encoder->height = height;
    encoder->time_base = av_inv_q(rate);
    encoder->framerate = rate;
    encoder->sample_aspect_ratio = (AVRational){1, 1};
    AVDictionary *options = NULL;
    char crf_text[16];
    snprintf(crf_text, sizeof crf_text, "%d", crf == -1 ? fallback : crf);
    if (kind == NST_VIDEO_GIF) {
        encoder->pix_fmt = AV_PIX_FMT_PAL8;
    } else {
        encoder->pix_fmt = AV_PIX_FMT_YUV420P;
        // Tagged as what the conversion below does, so that players and our reader undo it.
        encoder->colorspace = AVCOL_SPC_BT709;
        encoder->color_primaries = AVCOL_PRI_BT709;
        encoder->color_trc = AVCOL_TRC_BT709;
        encoder->color_range = AVCOL_RANGE_MPEG;
        av_dict_set(&options, "crf", crf_text, 0);
        if (kind == NST_VIDEO_WEBM) {
            // Constant quality needs a zero target bit rate; "good" with cpu-used 2 is
            // libvpx's recommended balance, row-mt uses the cores for one frame.
            encoder->bit_rate = 0;
            av_dict_set(&options, "deadline", "good", 0);
            av_dict_set(&options, "cpu-used", "2", 0);
            av_dict_set(&options, "row-mt", "1", 0);
        }
    }
    if (writer->format->oformat->flags & AVFMT_GLOBALHEADER) encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    result = avcodec_open2(encoder, codec, &options);
    av_dict_free(&options);
    if (result < 0) {
        nst_video_fail_av(&sink, NST_VIDEO_ERR_ENCODE, "the encoder cannot start", result);
        nst_video_writer_free(writer);
        return sink.status;
    }
    result = avcodec_parameters_from_context(writer->stream->codecpar, encoder);
    writer->stream->time_base = encoder->time_base;
    writer->stream->avg_frame_rate = rate;
    if (result >= 0) {
        writer->frame->format = encoder->pix_fmt;
        writer->frame->width = width;
        writer->frame->height = height;
        result = av_frame_get_buffer(writer->frame, 0);
    }
    if (result < 0) {
        nst_video_fail_av(&sink, NST_VIDEO_ERR_NO_MEMORY, "the video cannot start", result);
        nst_video_writer_free(writer);
        return sink.status;
    }
    if (kind != NST_VIDEO_GIF) {
        const int flags = SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP;
        writer->scaler = sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P, flags,
                                        NULL, NULL, NULL);
        if (writer->scaler == NULL) {
            nst_video_fail(&sink, NST_VIDEO_ERR_NO_MEMORY, "out of memory starting the pixel conversion");
            nst_video_writer_free(writer);
            return sink.status;
        }
        const int *bt709 = sws_getCoefficients(SWS_CS_ITU709);
        sws_setColorspaceDetails(writer->scaler, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
    }
    *out = writer;
    return NST_VIDEO_OK;
}

/// The name of a container for messages.
static const char *container_name(nst_video_format kind) {
    return kind == NST_VIDEO_MP4 ? "MP4" : kind == NST_VIDEO_WEBM ? "WebM" : "GIF";
}

nst_video_status nst_video_writer_add_audio(nst_video_writer *writer, const char *path, char *note, size_t note_capacity,
                                            char *message, size_t message_capacity) {
    nst_video_begin_call();
    nst_video_sink sink = {NST_VIDEO_OK, message, message_capacity};
    if (note != NULL && note_capacity > 0) note[0] = '\0';
    if (writer == NULL || path == NULL || writer->header_written || writer->audio_format != NULL) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "audio can be added once, before the first frame");
        return sink.status;
    }
    AVFormatContext *source = NULL;
    int fd = -1;
    if (!nst_video_open_input(path, &source, &fd, &sink)) return sink.status;
    int index = av_find_best_stream(source, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    const char *why = NULL;
    char reason[160];
    if (index < 0) {
        why = "it has no audio";
    } else if (writer->kind == NST_VIDEO_GIF) {
        why = "a GIF holds no audio";
    } else {
        enum AVCodecID codec = source->streams[index]->codecpar->codec_id;
        if (avformat_query_codec(writer->format->oformat, codec, FF_COMPLIANCE_NORMAL) != 1) {
            snprintf(reason, sizeof reason, "a%s %s file cannot hold %s audio", writer->kind == NST_VIDEO_MP4 ? "n" : "",
                     container_name(writer->kind), avcodec_get_name(codec));
            why = reason;
        }
    }
    if (why != NULL) {
        if (note != NULL && note_capacity > 0) snprintf(note, note_capacity, "%s", why);
        nst_video_close_input(&source, &fd);
        return NST_VIDEO_OK;
    }
    AVStream *input = source->streams[index];
    AVStream *output = avformat_new_stream(writer->format, NULL);
    writer->audio_packet = av_packet_alloc();
    int result = output == NULL || writer->audio_packet == NULL ? AVERROR(ENOMEM)
                                                                : avcodec_parameters_copy(output->codecpar, input->codecpar);
    if (result < 0) {
        nst_video_fail_av(&sink, NST_VIDEO_ERR_NO_MEMORY, "the audio cannot be copied", result);
        nst_video_close_input(&source, &fd);
        return sink.status;
    }
    // The source container's tag for the codec may mean nothing in ours: let the muxer choose.
    output->codecpar->codec_tag = 0;
    output->time_base = input->time_base;
    // Our first frame is the source's first video frame: the audio keeps its distance to it.
    int video = av_find_best_stream(source, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    int64_t start = AV_NOPTS_VALUE;
    AVRational start_base = {1, AV_TIME_BASE};
    if (video >= 0 && source->streams[video]->start_time != AV_NOPTS_VALUE) {
        start = source->streams[video]->start_time;
        start_base = source->streams[video]->time_base;
    } else if (source->start_time != AV_NOPTS_VALUE) {
        start = source->start_time;
    }
    writer->audio_offset = start == AV_NOPTS_VALUE ? 0 : av_rescale_q(start, start_base, input->time_base);
    snprintf(writer->audio_demuxer_error, sizeof writer->audio_demuxer_error, "%s", nst_video_demuxer_error());
    writer->audio_format = source;
    writer->audio_fd = fd;
    writer->audio_source_stream = index;
    writer->audio_stream = output;
    return NST_VIDEO_OK;
}

/// Copies audio packets up to `until` seconds of the output (all that are left when
/// infinite), so that the muxer interleaves them with the video. Returns 0 on failure.
static int copy_audio(nst_video_writer *writer, double until, nst_video_sink *sink) {
    if (writer->audio_format == NULL || writer->audio_done) return 1;
    AVStream *input = writer->audio_format->streams[writer->audio_source_stream];
    AVPacket *packet = writer->audio_packet;
    for (;;) {
        if (!writer->audio_pending) {
            nst_video_clear_demuxer_error();
            int result = av_read_frame(writer->audio_format, packet);
            if (result == AVERROR_EOF && (nst_video_demuxer_error()[0] != '\0' || writer->audio_demuxer_error[0] != '\0')) {
                // A source cut short (see nst_video_read_frame): its audio would stop early.
                nst_video_fail(sink, NST_VIDEO_ERR_DECODE, "the audio source is damaged or truncated: %s",
                               nst_video_demuxer_error()[0] != '\0' ? nst_video_demuxer_error()
                                                                     : writer->audio_demuxer_error);
                return 0;
            }
            if (result == AVERROR_EOF) {
                writer->audio_done = 1;
                return 1;
            }
            if (result < 0) {
                nst_video_fail_av(sink, NST_VIDEO_ERR_DECODE, "the audio source cannot be read further", result);
                return 0;
            }
            if (packet->stream_index != writer->audio_source_stream) {
                av_packet_unref(packet);
                continue;
            }
            writer->audio_pending = 1;
        }
        int64_t stamp = packet->dts != AV_NOPTS_VALUE ? packet->dts : packet->pts;
        if (isfinite(until) && stamp != AV_NOPTS_VALUE
            && (double)(stamp - writer->audio_offset) * av_q2d(input->time_base) > until) {
            return 1;
        }
        if (packet->pts != AV_NOPTS_VALUE) packet->pts -= writer->audio_offset;
        if (packet->dts != AV_NOPTS_VALUE) packet->dts -= writer->audio_offset;
        av_packet_rescale_ts(packet, input->time_base, writer->audio_stream->time_base);
        packet->stream_index = writer->audio_stream->index;
        packet->pos = -1;
        writer->audio_pending = 0;
        int result = av_interleaved_write_frame(writer->format, packet);
        if (result < 0) {
            fail_output(writer, sink, "the audio cannot be written", result);
            return 0;
        }
    }
}

/// Writes the container header (once, at the first frame, when every stream is known).
static int write_header(nst_video_writer *writer, nst_video_sink *sink) {
    if (writer->header_written) return 1;
    int result = avformat_write_header(writer->format, NULL);
    if (result < 0) {
        fail_output(writer, sink, "the video header cannot be written", result);
        return 0;
    }
    writer->header_written = 1;
    return 1;
}

/// Passes every packet the encoder has ready to the muxer. Returns 0 on failure.
static int write_packets(nst_video_writer *writer, nst_video_sink *sink) {
    for (;;) {
        int result = avcodec_receive_packet(writer->encoder, writer->packet);
        if (result == AVERROR(EAGAIN) || result == AVERROR_EOF) return 1;
        if (result < 0) {
            fail_output(writer, sink, "a frame cannot be encoded", result);
            return 0;
        }
        AVPacket *packet = writer->packet;
        // Every frame lasts 1/fps: the duration of the last one is the end of the video.
        if (packet->duration <= 0) packet->duration = 1;
        av_packet_rescale_ts(packet, writer->encoder->time_base, writer->stream->time_base);
        packet->stream_index = writer->stream->index;
        result = av_interleaved_write_frame(writer->format, packet);
        if (result < 0) {
            fail_output(writer, sink, "a frame cannot be written", result);
            return 0;
        }
    }
}

/// Converts a value in [0, 1] to 8 bits, rounding; NaN and negatives become 0.
static uint8_t to_byte(float value) {
    if (!(value > 0)) return 0;
    if (value >= 1) return 255;
    return (uint8_t)(value * 255.0f + 0.5f);
}

/// Fills the PAL8 frame from the RGB24 buffer: a fixed palette of 6 red, 7 green and 6 blue
/// levels (252 colours, green finest as the eye is most sensitive to it) with 4x4 ordered
/// dithering, which keeps local averages and, unlike error diffusion, does not crawl from
/// frame to frame.
static void to_palette(nst_video_writer *writer) {
    static const int bayer[4][4] = {{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}};
    static const int levels[3] = {6, 7, 6};
    uint32_t *palette = (uint32_t *)writer->frame->data[1];
    for (int i = 0; i < 256; i++) {
        int index = i < 252 ? i : 0;  // the 4 spare entries repeat black: opaque, never used
        int r = index / 42, g = (index / 6) % 7, b = index % 6;
        uint32_t red = (uint32_t)lround(r * 255.0 / 5), green = (uint32_t)lround(g * 255.0 / 6),
                 blue = (uint32_t)lround(b * 255.0 / 5);
        palette[i] = 0xFF000000u | red << 16 | green << 8 | blue;
    }
    for (int y = 0; y < writer->height; y++) {
        const uint8_t *row = writer->rgb + (size_t)y * (size_t)writer->rgb_stride;
        uint8_t *target = writer->frame->data[0] + (size_t)y * (size_t)writer->frame->linesize[0];
        for (int x = 0; x < writer->width; x++) {
            float threshold = ((float)bayer[y & 3][x & 3] + 0.5f) / 16.0f - 0.5f;
            int level[3];
            for (int c = 0; c < 3; c++) {
                int top = levels[c] - 1;
                int value = (int)floorf(row[3 * x + c] / 255.0f * (float)top + 0.5f + threshold);
                level[c] = value < 0 ? 0 : value > top ? top : value;
            }
            target[x] = (uint8_t)(level[0] * 42 + level[1] * 6 + level[2]);
        }
    }
}

nst_video_status nst_video_writer_append(nst_video_writer *writer, const float *planes, char *message,
                                         size_t message_capacity) {
    nst_video_begin_call();
    nst_video_sink sink = {NST_VIDEO_OK, message, message_capacity};
    if (writer == NULL || planes == NULL || writer->finished) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "no open writer or no frame given");
        return sink.status;
    }
    if (!write_header(writer, &sink)) return sink.status;
    // The encoder may still hold the previous frame's buffer.
    int result = av_frame_make_writable(writer->frame);
    if (result < 0) {
        nst_video_fail_av(&sink, NST_VIDEO_ERR_NO_MEMORY, "the frame cannot be prepared", result);
        return sink.status;
    }
    const size_t plane = (size_t)writer->width * (size_t)writer->height;
    for (int y = 0; y < writer->height; y++) {
        uint8_t *row = writer->rgb + (size_t)y * (size_t)writer->rgb_stride;
        size_t offset = (size_t)y * (size_t)writer->width;
        for (int x = 0; x < writer->width; x++) {
            row[3 * x] = to_byte(planes[offset + (size_t)x]);
            row[3 * x + 1] = to_byte(planes[plane + offset + (size_t)x]);
            row[3 * x + 2] = to_byte(planes[2 * plane + offset + (size_t)x]);
        }
    }
    if (writer->kind == NST_VIDEO_GIF) {
        to_palette(writer);
    } else {
        const uint8_t *source[4] = {writer->rgb, NULL, NULL, NULL};
        int strides[4] = {writer->rgb_stride, 0, 0, 0};
        sws_scale(writer->scaler, source, strides, 0, writer->height, writer->frame->data, writer->frame->linesize);
    }
    writer->frame->pts = writer->next_pts++;
    result = avcodec_send_frame(writer->encoder, writer->frame);
    if (result < 0) {
        fail_output(writer, &sink, "a frame cannot be encoded", result);
        return sink.status;
    }
    if (!write_packets(writer, &sink)) return sink.status;
    // The audio up to the end of this frame, so the muxer need not hold much of either.
    copy_audio(writer, (double)writer->next_pts * av_q2d(writer->encoder->time_base), &sink);
    return sink.status;
}

nst_video_status nst_video_writer_finish(nst_video_writer *writer, char *message, size_t message_capacity) {
    nst_video_begin_call();
    nst_video_sink sink = {NST_VIDEO_OK, message, message_capacity};
    if (writer == NULL || writer->finished) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "the video is already finished");
        return sink.status;
    }
    if (writer->next_pts == 0) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "no frames were written");
        return sink.status;
    }
    int result = avcodec_send_frame(writer->encoder, NULL);
    if (result < 0 && result != AVERROR_EOF) {
        fail_output(writer, &sink, "the encoder cannot be drained", result);
        return sink.status;
    }
    if (!write_packets(writer, &sink) || !copy_audio(writer, INFINITY, &sink)) return sink.status;
    result = av_write_trailer(writer->format);
    if (result < 0) {
        fail_output(writer, &sink, "the video trailer cannot be written", result);
        return sink.status;
    }
    avio_flush(writer->io);
    if (writer->io->error < 0) {
        nst_video_fail_av(&sink, NST_VIDEO_ERR_WRITE, "cannot write", writer->io->error);
        return sink.status;
    }
    writer->finished = 1;
    return NST_VIDEO_OK;
}

void nst_video_writer_free(nst_video_writer *writer) {
    if (writer == NULL) return;
    sws_freeContext(writer->scaler);
    av_free(writer->rgb);
    av_frame_free(&writer->frame);
    av_packet_free(&writer->packet);
    av_packet_free(&writer->audio_packet);
    avcodec_free_context(&writer->encoder);
    // Our own I/O context: the muxer never closes it; without a trailer nothing is flushed.
    avformat_free_context(writer->format);
    nst_video_free_io(&writer->io);
    nst_video_close_input(&writer->audio_format, &writer->audio_fd);
    free(writer);
}

#endif  // NST_WITHOUT_FFMPEG
