#include <cblas.h>
// openblas_set_num_threads / openblas_get_num_threads live in the OpenBLAS cblas.h on Debian.
