// fuzz_driver.h: starts libFuzzer's driver from a Swift main (libFuzzer without its own main is linked in).
#ifndef NST_FUZZ_DRIVER_H
#define NST_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the process's arguments, calling `test_one` for each input that comes
/// with a pointer (libFuzzer may pass NULL for an empty one);
/// returns libFuzzer's exit status (it exits by itself on a finding).
int nst_fuzz_main(int argc, char **argv, void (*test_one)(const uint8_t *_Nonnull data, size_t size));

#endif
