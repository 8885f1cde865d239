// CBLAS shim: OpenBLAS's C interface, used by the CPU backend for matrix products.
#include <cblas.h>
