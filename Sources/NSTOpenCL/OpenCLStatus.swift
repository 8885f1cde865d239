// OpenCLStatus: OpenCL and CLBlast status codes as names, and the errors thrown when a call fails.
import COpenCL
import NSTCore

/// Names of OpenCL status codes (`cl.h`, plus `CL_PLATFORM_NOT_FOUND_KHR` of the ICD loader)
/// and of CLBlast's own codes (`clblast_c.h`, all below -1000).
enum OpenCLStatus {
    static func name(_ status: Int32) -> String {
        names[status] ?? "unknown status \(status)"
    }

    private static let names: [Int32: String] = [
        0: "CL_SUCCESS",
        -1: "CL_DEVICE_NOT_FOUND",
        -2: "CL_DEVICE_NOT_AVAILABLE",
        -3: "CL_COMPILER_NOT_AVAILABLE",
        -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5: "CL_OUT_OF_RESOURCES",
        -6: "CL_OUT_OF_HOST_MEMORY",
        -7: "CL_PROFILING_INFO_NOT_AVAILABLE",
        -8: "CL_MEM_COPY_OVERLAP",
        -9: "CL_IMAGE_FORMAT_MISMATCH",
        -10: "CL_IMAGE_FORMAT_NOT_SUPPORTED",
        -11: "CL_BUILD_PROGRAM_FAILURE",
        -12: "CL_MAP_FAILURE",
        -13: "CL_MISALIGNED_SUB_BUFFER_OFFSET",
        -14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
        -15: "CL_COMPILE_PROGRAM_FAILURE",
        -16: "CL_LINKER_NOT_AVAILABLE",
        -17: "CL_LINK_PROGRAM_FAILURE",
        -18: "CL_DEVICE_PARTITION_FAILED",
        -19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE",
        -30: "CL_INVALID_VALUE",
        -31: "CL_INVALID_DEVICE_TYPE",
        -32: "CL_INVALID_PLATFORM",
        -33: "CL_INVALID_DEVICE",
        -34: "CL_INVALID_CONTEXT",
        -35: "CL_INVALID_QUEUE_PROPERTIES",
        -36: "CL_INVALID_COMMAND_QUEUE",
        -37: "CL_INVALID_HOST_PTR",
        -38: "CL_INVALID_MEM_OBJECT",
        -39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR",
        -40: "CL_INVALID_IMAGE_SIZE",
        -41: "CL_INVALID_SAMPLER",
        -42: "CL_INVALID_BINARY",
        -43: "CL_INVALID_BUILD_OPTIONS",
        -44: "CL_INVALID_PROGRAM",
        -45: "CL_INVALID_PROGRAM_EXECUTABLE",
        -46: "CL_INVALID_KERNEL_NAME",
        -47: "CL_INVALID_KERNEL_DEFINITION",
        -48: "CL_INVALID_KERNEL",
        -49: "CL_INVALID_ARG_INDEX",
        -50: "CL_INVALID_ARG_VALUE",
        -51: "CL_INVALID_ARG_SIZE",
        -52: "CL_INVALID_KERNEL_ARGS",
        -53: "CL_INVALID_WORK_DIMENSION",
        -54: "CL_INVALID_WORK_GROUP_SIZE",
        -55: "CL_INVALID_WORK_ITEM_SIZE",
        -56: "CL_INVALID_GLOBAL_OFFSET",
        -57: "CL_INVALID_EVENT_WAIT_LIST",
        -58: "CL_INVALID_EVENT",
        -59: "CL_INVALID_OPERATION",
        -60: "CL_INVALID_GL_OBJECT",
        -61: "CL_INVALID_BUFFER_SIZE",
        -62: "CL_INVALID_MIP_LEVEL",
        -63: "CL_INVALID_GLOBAL_WORK_SIZE",
        -64: "CL_INVALID_PROPERTY",
        -65: "CL_INVALID_IMAGE_DESCRIPTOR",
        -66: "CL_INVALID_COMPILER_OPTIONS",
        -67: "CL_INVALID_LINKER_OPTIONS",
        -68: "CL_INVALID_DEVICE_PARTITION_COUNT",
        -69: "CL_INVALID_PIPE_SIZE",
        -70: "CL_INVALID_DEVICE_QUEUE",
        -71: "CL_INVALID_SPEC_ID",
        -72: "CL_MAX_SIZE_RESTRICTION_EXCEEDED",
        -1001: "CL_PLATFORM_NOT_FOUND_KHR",
        -1007: "CLBlastInsufficientMemoryY",
        -1008: "CLBlastInsufficientMemoryX",
        -1009: "CLBlastInsufficientMemoryC",
        -1010: "CLBlastInsufficientMemoryB",
        -1011: "CLBlastInsufficientMemoryA",
        -1012: "CLBlastInvalidIncrementY",
        -1013: "CLBlastInvalidIncrementX",
        -1014: "CLBlastInvalidLeadDimC",
        -1015: "CLBlastInvalidLeadDimB",
        -1016: "CLBlastInvalidLeadDimA",
        -1017: "CLBlastInvalidDimension",
        -1018: "CLBlastInvalidVectorY",
        -1019: "CLBlastInvalidVectorX",
        -1020: "CLBlastInvalidMatrixC",
        -1021: "CLBlastInvalidMatrixB",
        -1022: "CLBlastInvalidMatrixA",
        -1024: "CLBlastNotImplemented",
        -2039: "CLBlastUnexpectedError",
        -2040: "CLBlastUnknownError",
        -2041: "CLBlastDatabaseError",
        -2042: "CLBlastInsufficientMemoryScalar",
        -2043: "CLBlastInvalidVectorScalar",
        -2044: "CLBlastNoDoublePrecision",
        -2045: "CLBlastNoHalfPrecision",
        -2046: "CLBlastInvalidLocalMemUsage",
        -2047: "CLBlastMissingOverrideParameter",
        -2048: "CLBlastInvalidOverrideKernel",
        -2049: "CLBlastInvalidBatchCount",
        -2050: "CLBlastInsufficientMemoryTemp",
    ]

    /// Status codes that mean a buffer (or a temporary of CLBlast) did not fit.
    static func isOutOfMemory(_ status: Int32) -> Bool {
        status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES
            || status == CL_OUT_OF_HOST_MEMORY || status == CL_INVALID_BUFFER_SIZE
            || status == -2050 /* CLBlastInsufficientMemoryTemp */
    }

    /// Appended to the message of a memory failure (and recognised by `makeTensor`).
    static let outOfMemoryNote = "; the device ran out of memory: try a smaller image"

    /// The error for a failed call: its name, the status name and code, and for memory
    /// failures a hint that a smaller image needs less memory.
    static func error(_ status: Int32, call: String) -> DeviceError {
        var message = "OpenCL: \(call) failed with \(name(status)) (\(status))"
        if isOutOfMemory(status) { message += outOfMemoryNote }
        return .backend(message)
    }

    /// Throws `error(status, call:)` unless `status` is `CL_SUCCESS`.
    @inline(__always)
    static func check(_ status: Int32, _ call: @autoclosure () -> String) throws {
        if status != CL_SUCCESS { throw error(status, call: call()) }
    }
}
