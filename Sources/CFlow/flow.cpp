// flow.cpp: dense optical flow through OpenCV 4 (cv::DISOpticalFlow, cv::calcOpticalFlowFarneback) behind a C interface that catches every exception.
#include "nst_flow.h"

#include <cmath>
#include <cstdio>
#include <exception>
#include <new>

#include <opencv2/core.hpp>
#include <opencv2/video/tracking.hpp>

namespace {

/// Writes one line into the caller's buffer (newlines from OpenCV's messages become spaces).
void report(char *message, size_t capacity, const char *prefix, const char *text) {
    if (message == nullptr || capacity == 0) return;
    std::snprintf(message, capacity, "%s%s", prefix, text);
    for (char *c = message; *c != '\0'; c++) {
        if (static_cast<unsigned char>(*c) < 0x20) *c = ' ';
    }
}

/// A grey float image in [0, 1] as 8-bit, rounded (NaN as 0).
cv::Mat to_gray8(const float *values, int width, int height) {
    cv::Mat gray(height, width, CV_8UC1);
    for (int y = 0; y < height; y++) {
        unsigned char *row = gray.ptr<unsigned char>(y);
        const float *source = values + static_cast<size_t>(y) * static_cast<size_t>(width);
        for (int x = 0; x < width; x++) {
            float v = source[x];
            row[x] = !(v > 0) ? 0 : v >= 1 ? 255 : static_cast<unsigned char>(v * 255.0f + 0.5f);
        }
    }
    return gray;
}

}  // namespace

extern "C" void nst_flow_luma(const float *planes, int width, int height, float *gray) {
    const size_t plane = static_cast<size_t>(width) * static_cast<size_t>(height);
    for (size_t i = 0; i < plane; i++) {
        gray[i] = 0.299f * planes[i] + 0.587f * planes[plane + i] + 0.114f * planes[2 * plane + i];
    }
}

extern "C" nst_flow_status nst_flow_compute(const float *a, const float *b, int width, int height,
                                            nst_flow_method method, float *dx, float *dy, char *message,
                                            size_t message_capacity) {
    if (a == nullptr || b == nullptr || dx == nullptr || dy == nullptr) {
        report(message, message_capacity, "", "a frame or flow buffer is missing");
        return NST_FLOW_ERR_ARGUMENT;
    }
    if (width < 1 || height < 1 || width > 16384 || height > 16384) {
        char text[96];
        std::snprintf(text, sizeof text, "frames of %dx%d pixels have no flow; each side must be 1 to 16384", width, height);
        report(message, message_capacity, "", text);
        return NST_FLOW_ERR_ARGUMENT;
    }
    if (method != NST_FLOW_DIS && method != NST_FLOW_FARNEBACK) {
        report(message, message_capacity, "", "unknown flow method");
        return NST_FLOW_ERR_ARGUMENT;
    }
    try {
        cv::Mat first = to_gray8(a, width, height), second = to_gray8(b, width, height);
        cv::Mat flow;
        if (method == NST_FLOW_DIS) {
            cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
            dis->calc(first, second, flow);
        } else {
            cv::calcOpticalFlowFarneback(first, second, flow, 0.5, 5, 15, 3, 5, 1.2, 0);
        }
        if (flow.type() != CV_32FC2 || flow.rows != height || flow.cols != width) {
            report(message, message_capacity, "", "OpenCV returned a flow of another shape");
            return NST_FLOW_ERR_OPENCV;
        }
        for (int y = 0; y < height; y++) {
            const cv::Vec2f *row = flow.ptr<cv::Vec2f>(y);
            size_t offset = static_cast<size_t>(y) * static_cast<size_t>(width);
            for (int x = 0; x < width; x++) {
                dx[offset + x] = row[x][0];
                dy[offset + x] = row[x][1];
            }
        }
        return NST_FLOW_OK;
    } catch (const cv::Exception &error) {
        report(message, message_capacity, "OpenCV: ", error.what());
        return NST_FLOW_ERR_OPENCV;
    } catch (const std::bad_alloc &) {
        report(message, message_capacity, "", "out of memory computing the flow");
        return NST_FLOW_ERR_NO_MEMORY;
    } catch (const std::exception &error) {
        report(message, message_capacity, "", error.what());
        return NST_FLOW_ERR_OPENCV;
    } catch (...) {
        report(message, message_capacity, "", "OpenCV failed with an unknown exception");
        return NST_FLOW_ERR_OPENCV;
    }
}
