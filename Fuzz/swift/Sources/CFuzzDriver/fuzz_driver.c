// fuzz_driver.c: the C side of FuzzSupport.runFuzzer: libFuzzer's driver takes argc/argv by address.
#include "fuzz_driver.h"

/// libFuzzer's entry point when linked without its main (libclang_rt.fuzzer_no_main).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*user_callback)(const uint8_t *data, size_t size));

int nst_fuzz_main(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size)) {
    return LLVMFuzzerRunDriver(&argc, &argv, test_one_input);
}
