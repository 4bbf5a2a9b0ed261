#ifndef MFPIPE_CBLAS_SHIM_H
#define MFPIPE_CBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
