#ifndef MFPIPE_CHDF5_SHIM_H
#define MFPIPE_CHDF5_SHIM_H
#include <hdf5.h>
#include <string.h>

/* HDF5 exposes its type and property-list ids as macros that call H5open()
   through comma expressions; Swift cannot import those, so they are wrapped here. */
static inline hid_t mf_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t mf_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t mf_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t mf_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t mf_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t mf_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t mf_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t mf_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t mf_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t mf_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t mf_h5s_all(void) { return H5S_ALL; }
static inline unsigned mf_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned mf_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned mf_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline hid_t mf_h5e_default(void) { return H5E_DEFAULT; }
static inline size_t mf_h5t_variable(void) { return H5T_VARIABLE; }


/* The operating system's reason for the innermost failure on HDF5's error stack, if a
   system call failed ("No space left on device"): HDF5's file drivers record it in the
   description as "errno = N, error message = '...'". Returns 1 and fills buffer when found. */
typedef struct { char *buffer; size_t size; int found; } mf_h5_reason_search;

static herr_t mf_h5_reason_visit(unsigned n, const H5E_error2_t *error, void *data) {
    (void)n;
    mf_h5_reason_search *search = (mf_h5_reason_search *)data;
    const char *marker = "error message = '";
    const char *start = error->desc ? strstr(error->desc, marker) : NULL;
    if (search->found || start == NULL) return 0;
    start += strlen(marker);
    size_t length = 0;
    while (start[length] != '\0' && start[length] != '\'' && length + 1 < search->size) {
        search->buffer[length] = start[length];
        length++;
    }
    search->buffer[length] = '\0';
    search->found = length > 0;
    return 0;
}

static inline int mf_h5_system_reason(char *buffer, size_t size) {
    mf_h5_reason_search search = { buffer, size, 0 };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, mf_h5_reason_visit, &search);
    return search.found;
}

#endif
