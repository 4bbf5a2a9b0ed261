import CHDF5
import Foundation

/// A 2-D dataset of a known shape written a block of rows at a time (a hyperslab per
/// block), so that a result larger than memory is streamed into its file; chunked and
/// compressed as the group's other datasets.
public final class HDF5RowWriter {
    private let dataset: hid_t
    private let type: hid_t
    private let ownsType: Bool
    private let columns: Int
    private let name: String
    private let group: HDF5Group

    /// Creates dataset `name` of `rows` x `columns` elements of `T` in `group`.
    public convenience init<T: HDF5Element>(_ group: HDF5Group, _ name: String, rows: Int, columns: Int, of: T.Type) throws {
        try self.init(group, name, rows: rows, columns: columns, type: T.hdf5Type, ownsType: false, elementSize: MemoryLayout<T>.stride)
    }

    /// Creates dataset `name` of `rows` x `columns` variable-length UTF-8 strings in `group`.
    public convenience init(strings group: HDF5Group, _ name: String, rows: Int, columns: Int) throws {
        try self.init(group, name, rows: rows, columns: columns, type: HDF5Group.utf8StringType(), ownsType: true,
                      elementSize: MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)
    }

    private init(_ group: HDF5Group, _ name: String, rows: Int, columns: Int, type: hid_t, ownsType: Bool, elementSize: Int) throws {
        (self.group, self.name, self.columns, self.type, self.ownsType) = (group, name, columns, type, ownsType)
        let dims = [hsize_t(rows), hsize_t(columns)]
        let space = H5Screate_simple(2, dims, nil)
        guard space >= 0 else { throw group.failure("create a dataspace for", name) }
        defer { H5Sclose(space) }
        let create = try group.chunkedCreationList(dims: dims, elementSize: elementSize, name: name)
        defer { H5Pclose(create) }
        dataset = H5Dcreate2(group.id, name, type, space, hid_t(mf_h5p_default()), create, hid_t(mf_h5p_default()))
        guard dataset >= 0 else { throw group.failure("create dataset", name) }
    }

    deinit {
        H5Dclose(dataset)
        if ownsType { H5Tclose(type) }
    }

    /// Writes `values` (whole rows, row-major) as the rows from `firstRow` on.
    public func write<T: HDF5Element>(_ values: [T], firstRow: Int) throws {
        try values.withUnsafeBufferPointer { buffer in try write(UnsafeRawPointer(buffer.baseAddress), count: buffer.count, firstRow: firstRow) }
    }

    /// Writes `strings` (whole rows, row-major) as the rows from `firstRow` on.
    public func write(strings: [String], firstRow: Int) throws {
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        try pointers.withUnsafeBufferPointer { buffer in try write(UnsafeRawPointer(buffer.baseAddress), count: buffer.count, firstRow: firstRow) }
    }

    private func write(_ pointer: UnsafeRawPointer?, count: Int, firstRow: Int) throws {
        guard count > 0, columns > 0 else { return }
        let block = [hsize_t(count / columns), hsize_t(columns)]
        let start = [hsize_t(firstRow), 0]
        let file = H5Dget_space(dataset)
        defer { H5Sclose(file) }
        let memory = H5Screate_simple(2, block, nil)
        defer { H5Sclose(memory) }
        guard file >= 0, memory >= 0, H5Sselect_hyperslab(file, H5S_SELECT_SET, start, nil, block, nil) >= 0,
            H5Dwrite(dataset, type, memory, file, hid_t(mf_h5p_default()), pointer) >= 0
        else { throw group.failure("write rows \(firstRow)..< of", name) }
    }
}
