// fuzz_driver.h: starts libFuzzer's driver from a Swift main (libFuzzer without its own main is linked in).
#ifndef NST_FUZZ_DRIVER_H
#define NST_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the process's arguments, calling `test_one_input` for each input;
/// returns libFuzzer's exit status (it exits by itself on a finding).
int nst_fuzz_main(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
