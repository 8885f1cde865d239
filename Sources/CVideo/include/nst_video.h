// nst_video.h: C shim over FFmpeg's libraries that reads and writes video files frame by frame, reporting errors as codes.
#ifndef NST_VIDEO_H
#define NST_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The largest width or height read or written (as for still images, NST_MAX_SIDE).
#define NST_VIDEO_MAX_SIDE 16384

/// Outcome of a video call. Every failure also fills the caller's message buffer with one
/// line of text (without the file name, which only the caller knows); the libraries' own
/// log lines are never printed, the last error among them is appended to that line.
typedef enum {
    NST_VIDEO_OK = 0,
    NST_VIDEO_END = 1,               ///< nst_video_read_frame: no more frames (not an error)
    NST_VIDEO_ERR_NOT_FOUND = 2,     ///< the file does not exist
    NST_VIDEO_ERR_UNREADABLE = 3,    ///< it exists but cannot be opened or read, or is not a regular file
    NST_VIDEO_ERR_FORMAT = 4,        ///< not a video of a container this shim reads (or empty)
    NST_VIDEO_ERR_NO_VIDEO = 5,      ///< the container holds no video stream
    NST_VIDEO_ERR_SIZE = 6,          ///< a side is 0 or over NST_VIDEO_MAX_SIDE
    NST_VIDEO_ERR_DECODE = 7,        ///< damaged or truncated data
    NST_VIDEO_ERR_UNSUPPORTED = 8,   ///< a codec this FFmpeg build has no decoder or encoder for
    NST_VIDEO_ERR_ENCODE = 9,        ///< the encoder or muxer failed
    NST_VIDEO_ERR_WRITE = 10,        ///< writing the output failed (disk full, I/O error)
    NST_VIDEO_ERR_NO_MEMORY = 11,    ///< an allocation failed
    NST_VIDEO_ERR_ARGUMENT = 12      ///< the caller passed inconsistent arguments
} nst_video_status;

/// What nst_video_open learns from the file's header.
typedef struct {
    int width;             ///< of the video stream, 1 to NST_VIDEO_MAX_SIDE
    int height;
    double fps;            ///< avg_frame_rate, else r_frame_rate; 25 when the file states neither
    int64_t frame_count;   ///< the stream's frame count, else duration x fps rounded; -1 when unknown
    int has_audio;         ///< 1 when the file has an audio stream
} nst_video_info;

/// An open video being decoded (opaque).
typedef struct nst_video_reader nst_video_reader;

/// Opens `path` (a regular file; nothing else, no URL) and its best video stream. Only the
/// MP4/MOV, Matroska/WebM, AVI and GIF demuxers are used; the decoder is FFmpeg's for the
/// stream's codec. On success `*out` must be released with nst_video_close.
nst_video_status nst_video_open(const char *path, nst_video_reader **out, nst_video_info *info,
                                char *message, size_t message_capacity);

/// Decodes the next frame into `planes`: 3 * width * height floats, planar (CHW) RGB in
/// [0, 1] at the size nst_video_open reported (a frame of another size is scaled to it).
/// YUV is converted with the matrix and range the stream states (BT.601 for undeclared
/// sizes under 720 lines, BT.709 from 720, as players guess). Returns NST_VIDEO_END after
/// the last frame. Damage the demuxer or decoder reports is an error, and so is a file cut
/// short (nst_video_open already refuses one whose index runs past its end); damage a
/// decoder conceals without reporting is not seen.
nst_video_status nst_video_read_frame(nst_video_reader *reader, float *planes, char *message,
                                      size_t message_capacity);

/// Releases a reader (NULL is ignored).
void nst_video_close(nst_video_reader *reader);

/// Containers and codecs the writer makes.
typedef enum {
    NST_VIDEO_MP4 = 0,   ///< H.264 (libx264), yuv420p, BT.709 limited range
    NST_VIDEO_WEBM = 1,  ///< VP9 (libvpx-vp9), yuv420p, BT.709 limited range
    NST_VIDEO_GIF = 2    ///< GIF, 8-bit fixed palette (6x7x6 levels) with ordered dithering
} nst_video_format;

/// The size `format` can encode nearest to width x height: yuv420p needs even sides, so
/// MP4 and WebM round each side down to even (at least 2); GIF keeps it.
void nst_video_codec_size(nst_video_format format, int width, int height, int *out_width, int *out_height);

/// The quality range of `format`'s `crf` (H.264 0 to 51, VP9 0 to 63; GIF none: 0 to 0) and
/// the encoder's default used when the caller gives none.
void nst_video_crf_range(nst_video_format format, int *lowest, int *highest, int *fallback);

/// A video being encoded (opaque).
typedef struct nst_video_writer nst_video_writer;

/// Starts a video of `format` written through `fd` (open for writing and seeking; the
/// caller keeps it and closes it after nst_video_writer_free). Sides must be what
/// nst_video_codec_size gives, fps finite in (0, 1000], crf in nst_video_crf_range or -1
/// for the default (ignored for GIF). Nothing is written until the first frame.
nst_video_status nst_video_writer_open(int fd, nst_video_format format, int width, int height, double fps,
                                       int crf, nst_video_writer **out, char *message, size_t message_capacity);

/// Copies the audio stream of the file at `path` into the output unchanged (no re-encoding),
/// its timestamps shifted by the start of that file's video so both stay in step. Call
/// before the first frame. When the audio cannot go in (the source has none, GIF holds no
/// audio, the container cannot hold its codec) returns NST_VIDEO_OK with `note` set to one
/// line saying why; otherwise `note` is left empty. A source that cannot be read is an error.
nst_video_status nst_video_writer_add_audio(nst_video_writer *writer, const char *path, char *note,
                                            size_t note_capacity, char *message, size_t message_capacity);

/// Encodes one frame: `planes` as nst_video_read_frame gives them (3 * width * height
/// floats, CHW), clamped to [0, 1] (NaN as 0) and rounded to 8 bits.
nst_video_status nst_video_writer_append(nst_video_writer *writer, const float *planes, char *message,
                                         size_t message_capacity);

/// Drains the encoder, copies the rest of the audio and writes the trailer; the bytes are
/// all written to the descriptor when it returns NST_VIDEO_OK (not yet synced to disk).
nst_video_status nst_video_writer_finish(nst_video_writer *writer, char *message, size_t message_capacity);

/// Releases a writer, finished or not (NULL is ignored); the descriptor stays open.
void nst_video_writer_free(nst_video_writer *writer);

#ifdef __cplusplus
}
#endif

#endif
