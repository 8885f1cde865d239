// CBLAS shim: OpenBLAS's C interface (matrix products for the CPU backend) and the one LAPACK routine nst calls.
#include <cblas.h>
#include <stddef.h>

// LAPACK's symmetric eigensolver, which OpenBLAS carries (Debian's libopenblas has no
// LAPACKE header, so it is declared here with gfortran's convention: every argument by
// reference, then the hidden lengths of the two character arguments). The W2 style loss
// takes matrix square roots with it, in Double on the host.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t uplo_length);
