import CHDF5

/// A Swift number type with a native HDF5 counterpart, for typed dataset I/O.
public protocol HDF5Element {
    /// The HDF5 native type id of `Self`.
    static var hdf5Type: hid_t { get }
    /// A zero value, for sizing buffers.
    static var zero: Self { get }
}

extension Float: HDF5Element {
    public static var hdf5Type: hid_t { mf_h5t_native_float() }
}

extension Double: HDF5Element {
    public static var hdf5Type: hid_t { mf_h5t_native_double() }
}

extension Int32: HDF5Element {
    public static var hdf5Type: hid_t { mf_h5t_native_int32() }
}

extension Int64: HDF5Element {
    public static var hdf5Type: hid_t { mf_h5t_native_int64() }
}

extension UInt8: HDF5Element {
    public static var hdf5Type: hid_t { mf_h5t_native_uint8() }
}
