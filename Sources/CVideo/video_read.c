// video_read.c: opens a video file through libavformat and decodes its frames one at a time to planar float RGB.
// Built only with FFmpeg (NST_WITHOUT_FFMPEG, the GPU bundle's build, gives video_absent.c instead).
#ifndef NST_WITHOUT_FFMPEG
#include "video_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

struct nst_video_reader {
    AVFormatContext *format;
    int fd;
    int stream;
    AVCodecContext *decoder;
    AVPacket *packet;
    int packet_pending;   ///< `packet` holds data the decoder has not taken yet
    int64_t frames;       ///< frames returned so far, for messages
    char demuxer_error[256];  ///< an error the demuxer logged while opening ("" when none)
    int draining;         ///< the demuxer is done; the decoder is being emptied
    AVFrame *frame;
    struct SwsContext *scaler;
    int width, height;
    uint8_t *rgb;         ///< one packed RGB24 frame, rows of `rgb_stride` bytes
    int rgb_stride;
};

/// The frame rate the stream states: its average, else its base rate; 25 (what FFmpeg's
/// own tools assume) when neither is a positive finite number.
static double stream_fps(const AVStream *stream) {
    AVRational rates[2] = {stream->avg_frame_rate, stream->r_frame_rate};
    for (int i = 0; i < 2; i++) {
        if (rates[i].num > 0 && rates[i].den > 0) {
            double fps = av_q2d(rates[i]);
            if (isfinite(fps) && fps > 0 && fps <= 1000) return fps;
        }
    }
    return 25;
}

/// The stream's frame count if the container states it, else its duration times `fps`;
/// -1 when neither is known (a duration guessed from the bit rate is no knowledge).
static int64_t frame_count(const AVFormatContext *format, const AVStream *stream, double fps) {
    if (stream->nb_frames > 0) return stream->nb_frames;
    double seconds = -1;
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
        seconds = (double)stream->duration * av_q2d(stream->time_base);
    } else if (format->duration != AV_NOPTS_VALUE && format->duration > 0
               && format->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) {
        seconds = (double)format->duration / AV_TIME_BASE;
    }
    if (!(seconds > 0) || !isfinite(seconds)) return -1;
    double frames = round(seconds * fps);
    return frames >= 1 && frames < 1e15 ? (int64_t)frames : -1;
}

nst_video_status nst_video_open(const char *path, nst_video_reader **out, nst_video_info *info,
                                char *message, size_t message_capacity) {
    nst_video_begin_call();
    nst_video_sink sink = {NST_VIDEO_OK, message, message_capacity};
    *out = NULL;
    if (path == NULL || info == NULL) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "no path or info given");
        return sink.status;
    }
    nst_video_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL) {
        nst_video_fail(&sink, NST_VIDEO_ERR_NO_MEMORY, "out of memory opening the video");
        return sink.status;
    }
    reader->fd = -1;
    if (!nst_video_open_input(path, &reader->format, &reader->fd, &sink)) {
        nst_video_close(reader);
        return sink.status;
    }
    const AVCodec *codec = NULL;
    int index = av_find_best_stream(reader->format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (index < 0 || (reader->format->streams[index]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
        if (index == AVERROR_DECODER_NOT_FOUND) {
            nst_video_fail(&sink, NST_VIDEO_ERR_UNSUPPORTED, "its video codec cannot be decoded by this FFmpeg build");
        } else {
            nst_video_fail(&sink, NST_VIDEO_ERR_NO_VIDEO, "has no video stream");
        }
        nst_video_close(reader);
        return sink.status;
    }
    snprintf(reader->demuxer_error, sizeof reader->demuxer_error, "%s", nst_video_demuxer_error());
    AVStream *stream = reader->format->streams[index];
    reader->stream = index;
    int width = stream->codecpar->width, height = stream->codecpar->height;
    if (width < 1 || height < 1 || width > NST_VIDEO_MAX_SIDE || height > NST_VIDEO_MAX_SIDE) {
        nst_video_fail(&sink, NST_VIDEO_ERR_SIZE, "a video of %dx%d pixels cannot be read; each side must be 1 to %d",
                       width, height, NST_VIDEO_MAX_SIDE);
        nst_video_close(reader);
        return sink.status;
    }
    reader->width = width;
    reader->height = height;
    reader->decoder = avcodec_alloc_context3(codec);
    reader->packet = av_packet_alloc();
    reader->frame = av_frame_alloc();
    reader->rgb_stride = FFALIGN(3 * width, 64);
    reader->rgb = av_malloc((size_t)reader->rgb_stride * (size_t)height);
    if (reader->decoder == NULL || reader->packet == NULL || reader->frame == NULL || reader->rgb == NULL) {
        nst_video_fail(&sink, NST_VIDEO_ERR_NO_MEMORY, "out of memory opening the video");
        nst_video_close(reader);
        return sink.status;
    }
    int result = avcodec_parameters_to_context(reader->decoder, stream->codecpar);
    if (result >= 0) {
        reader->decoder->pkt_timebase = stream->time_base;
        // The same bound as the header's for every frame the decoder allocates.
        reader->decoder->max_pixels = (int64_t)NST_VIDEO_MAX_SIDE * NST_VIDEO_MAX_SIDE;
        result = avcodec_open2(reader->decoder, codec, NULL);
    }
    if (result < 0) {
        nst_video_fail_av(&sink, NST_VIDEO_ERR_UNSUPPORTED, "its video cannot be decoded", result);
        nst_video_close(reader);
        return sink.status;
    }
    info->width = width;
    info->height = height;
    info->fps = stream_fps(stream);
    info->frame_count = frame_count(reader->format, stream, info->fps);
    info->has_audio = av_find_best_stream(reader->format, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0) >= 0;
    *out = reader;
    return NST_VIDEO_OK;
}

/// True for YUV layouts whose range is full by definition (the deprecated "J" formats).
static int full_range_format(enum AVPixelFormat format) {
    return format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P
        || format == AV_PIX_FMT_YUVJ440P || format == AV_PIX_FMT_YUVJ411P;
}

/// The swscale matrix of a frame: the one it states, else BT.709 from 720 lines and BT.601
/// below, the guess players make for untagged video.
static int frame_matrix(const AVFrame *frame) {
    switch (frame->colorspace) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_BT470BG: case AVCOL_SPC_SMPTE170M: return SWS_CS_ITU601;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL: case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    default: return frame->height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601;
    }
}

/// Converts the decoded frame to the reader's RGB24 buffer and then to planes.
static void convert_frame(nst_video_reader *reader, float *planes, nst_video_sink *sink) {
    AVFrame *frame = reader->frame;
    enum AVPixelFormat format = (enum AVPixelFormat)frame->format;
    const AVPixFmtDescriptor *descriptor = av_pix_fmt_desc_get(format);
    if (descriptor == NULL || frame->width < 1 || frame->height < 1
        || frame->width > NST_VIDEO_MAX_SIDE || frame->height > NST_VIDEO_MAX_SIDE) {
        nst_video_fail(sink, NST_VIDEO_ERR_DECODE, "a decoded frame has no usable size or pixel format");
        return;
    }
    // Accurate rounding and full chroma interpolation: the fast paths round and subsample
    // coarsely, which shows as colour fringes after style transfer.
    const int flags = SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP;
    reader->scaler = sws_getCachedContext(reader->scaler, frame->width, frame->height, format, reader->width,
                                          reader->height, AV_PIX_FMT_RGB24, flags, NULL, NULL, NULL);
    if (reader->scaler == NULL) {
        nst_video_fail(sink, NST_VIDEO_ERR_UNSUPPORTED, "frames in pixel format %s cannot be converted to RGB",
                       descriptor->name);
        return;
    }
    int is_yuv = !(descriptor->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) && descriptor->nb_components >= 3;
    if (is_yuv) {
        const int *matrix = sws_getCoefficients(frame_matrix(frame));
        int full = frame->color_range == AVCOL_RANGE_JPEG || full_range_format(format);
        sws_setColorspaceDetails(reader->scaler, matrix, full, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
    }
    uint8_t *destination[4] = {reader->rgb, NULL, NULL, NULL};
    int strides[4] = {reader->rgb_stride, 0, 0, 0};
    if (sws_scale(reader->scaler, (const uint8_t *const *)frame->data, frame->linesize, 0, frame->height,
                  destination, strides) != reader->height) {
        nst_video_fail(sink, NST_VIDEO_ERR_DECODE, "a frame could not be converted to RGB");
        return;
    }
    const size_t plane = (size_t)reader->width * (size_t)reader->height;
    for (int y = 0; y < reader->height; y++) {
        const uint8_t *row = reader->rgb + (size_t)y * (size_t)reader->rgb_stride;
        size_t offset = (size_t)y * (size_t)reader->width;
        for (int x = 0; x < reader->width; x++) {
            planes[offset + (size_t)x] = row[3 * x] / 255.0f;
            planes[plane + offset + (size_t)x] = row[3 * x + 1] / 255.0f;
            planes[2 * plane + offset + (size_t)x] = row[3 * x + 2] / 255.0f;
        }
    }
}

/// Records a failure of the demuxer or decoder after the frames returned so far.
static void fail_frame(nst_video_reader *reader, nst_video_sink *sink, int result) {
    char prefix[96];
    snprintf(prefix, sizeof prefix, "damaged or truncated video after frame %lld", (long long)reader->frames);
    nst_video_fail_av(sink, result == AVERROR(ENOMEM) ? NST_VIDEO_ERR_NO_MEMORY : NST_VIDEO_ERR_DECODE, prefix, result);
}

nst_video_status nst_video_read_frame(nst_video_reader *reader, float *planes, char *message, size_t message_capacity) {
    nst_video_begin_call();
    nst_video_sink sink = {NST_VIDEO_OK, message, message_capacity};
    if (reader == NULL || planes == NULL) {
        nst_video_fail(&sink, NST_VIDEO_ERR_ARGUMENT, "no reader or frame buffer given");
        return sink.status;
    }
    for (;;) {
        int result = avcodec_receive_frame(reader->decoder, reader->frame);
        if (result == 0) {
            convert_frame(reader, planes, &sink);
            av_frame_unref(reader->frame);
            reader->frames++;
            return sink.status;
        }
        if (result == AVERROR_EOF) return NST_VIDEO_END;
        if (result != AVERROR(EAGAIN)) {
            fail_frame(reader, &sink, result);
            return sink.status;
        }
        if (reader->draining) {
            // A decoder that wants input after being told the input ended: nothing will come.
            return NST_VIDEO_END;
        }
        if (!reader->packet_pending) {
            nst_video_clear_demuxer_error();
            result = av_read_frame(reader->format, reader->packet);
            if (result == AVERROR_EOF && (nst_video_demuxer_error()[0] != '\0' || reader->demuxer_error[0] != '\0')) {
                // An end the demuxer reached after logging an error (nst_video_demuxer_error):
                // the frames would otherwise silently stop early.
                nst_video_fail(&sink, NST_VIDEO_ERR_DECODE, "damaged or truncated video after frame %lld: %s",
                               (long long)reader->frames,
                               nst_video_demuxer_error()[0] != '\0' ? nst_video_demuxer_error() : reader->demuxer_error);
                return sink.status;
            }
            if (result == AVERROR_EOF) {
                reader->draining = 1;
                result = avcodec_send_packet(reader->decoder, NULL);
                if (result < 0 && result != AVERROR_EOF) {
                    fail_frame(reader, &sink, result);
                    return sink.status;
                }
                continue;
            }
            if (result < 0) {
                fail_frame(reader, &sink, result);
                return sink.status;
            }
            if (reader->packet->stream_index != reader->stream) {
                av_packet_unref(reader->packet);
                continue;
            }
            reader->packet_pending = 1;
        }
        result = avcodec_send_packet(reader->decoder, reader->packet);
        if (result == AVERROR(EAGAIN)) continue;  // frames to take first; the packet waits
        reader->packet_pending = 0;
        av_packet_unref(reader->packet);
        if (result < 0) {
            fail_frame(reader, &sink, result);
            return sink.status;
        }
    }
}

void nst_video_close(nst_video_reader *reader) {
    if (reader == NULL) return;
    sws_freeContext(reader->scaler);
    av_free(reader->rgb);
    av_frame_free(&reader->frame);
    av_packet_free(&reader->packet);
    avcodec_free_context(&reader->decoder);
    nst_video_close_input(&reader->format, &reader->fd);
    free(reader);
}

#endif  // NST_WITHOUT_FFMPEG
