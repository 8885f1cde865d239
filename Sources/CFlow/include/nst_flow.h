// nst_flow.h: C interface to OpenCV's dense optical flow (DIS and Farneback), reporting errors as codes.
#ifndef NST_FLOW_H
#define NST_FLOW_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a flow call. Every failure also fills the caller's message buffer with one line.
typedef enum {
    NST_FLOW_OK = 0,
    NST_FLOW_ERR_ARGUMENT = 1,   ///< sizes out of range, or a missing buffer
    NST_FLOW_ERR_NO_MEMORY = 2,  ///< an allocation failed
    NST_FLOW_ERR_OPENCV = 3      ///< OpenCV threw (its message follows)
} nst_flow_status;

/// The algorithm.
typedef enum {
    NST_FLOW_DIS = 0,       ///< cv::DISOpticalFlow, PRESET_MEDIUM
    NST_FLOW_FARNEBACK = 1  ///< cv::calcOpticalFlowFarneback, 5 levels of 0.5, window 15, 3 iterations, poly_n 5, sigma 1.2
} nst_flow_method;

/// Converts planar (CHW) RGB floats in [0, 1] to luma (0.299 R + 0.587 G + 0.114 B, the
/// weights OpenCV's own RGB to grey conversion uses): `gray` holds width * height floats.
void nst_flow_luma(const float *planes, int width, int height, float *gray);

/// The dense flow from frame `a` to frame `b`, both width x height grey floats in [0, 1] (rows
/// top to bottom; values outside are clamped): for each pixel p of `a`, `dx` and `dy`
/// (width * height floats each, row-major) hold where p moved to in `b`, so that
/// a(p) ~ b(p + flow(p)). Both methods work on 8-bit grey, which each is written for.
/// Sides must be 1 to 16384. Never throws or prints.
nst_flow_status nst_flow_compute(const float *a, const float *b, int width, int height, nst_flow_method method,
                                 float *dx, float *dy, char *message, size_t message_capacity);

#ifdef __cplusplus
}
#endif

#endif
