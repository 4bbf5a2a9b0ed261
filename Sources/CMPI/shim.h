#ifndef MFPIPE_CMPI_SHIM_H
#define MFPIPE_CMPI_SHIM_H
#include <mpi.h>

/* Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros over global
   objects that Swift cannot import; they are wrapped here. */
static inline MPI_Comm mf_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype mf_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype mf_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype mf_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype mf_mpi_long_long(void) { return MPI_LONG_LONG; }
static inline MPI_Op mf_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op mf_mpi_sum(void) { return MPI_SUM; }
static inline void *mf_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int mf_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int mf_mpi_success(void) { return MPI_SUCCESS; }
static inline MPI_Status *mf_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

#endif
