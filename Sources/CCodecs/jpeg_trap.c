// jpeg_trap.c: installs the error trap that keeps libjpeg from printing or exiting.
#include "jpeg_trap.h"

/// Never print: messages reach the caller through the sink only.
static void jpeg_trap_output_message(j_common_ptr info) { (void)info; }

struct jpeg_error_mgr *nst_jpeg_trap_init(jpeg_error_trap *trap, nst_error_sink *sink,
                                          void (*error_exit)(j_common_ptr),
                                          void (*emit_message)(j_common_ptr, int)) {
    struct jpeg_error_mgr *manager = jpeg_std_error(&trap->manager);
    manager->error_exit = error_exit;
    if (emit_message != NULL) manager->emit_message = emit_message;
    manager->output_message = jpeg_trap_output_message;
    trap->sink = sink;
    return manager;
}
