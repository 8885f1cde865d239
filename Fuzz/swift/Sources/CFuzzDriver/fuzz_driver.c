// fuzz_driver.c: the C side of FuzzSupport.runFuzzer: libFuzzer's driver takes argc/argv by address; inputs without bytes are skipped here.
#include "fuzz_driver.h"

/// libFuzzer's entry point when linked without its main (libclang_rt.fuzzer_no_main).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*user_callback)(const uint8_t *data, size_t size));

// The target's function; libFuzzer runs inputs one at a time on one thread.
static void (*target)(const uint8_t *data, size_t size);

// libFuzzer's callback: hands every input that has a pointer to the target (an empty one
// may come as NULL) and returns 0, libFuzzer's "keep going".
static int test_one_input(const uint8_t *data, size_t size) {
    if (data) target(data, size);
    return 0;
}

int nst_fuzz_main(int argc, char **argv, void (*test_one)(const uint8_t *_Nonnull data, size_t size)) {
    target = test_one;
    return LLVMFuzzerRunDriver(&argc, &argv, test_one_input);
}
