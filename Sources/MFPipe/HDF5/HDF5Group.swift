import CHDF5
import Foundation

/// A group in an HDF5 file: makes and reads subgroups, datasets and attributes.
///
/// In a compressed file, datasets are written chunked (about 256 KiB a chunk) with the
/// shuffle and deflate (level 4) filters that every stock HDF5 build has; otherwise
/// contiguously. Strings are variable-length UTF-8.
public final class HDF5Group {
    let id: hid_t
    /// The group's path inside the file (`/models/k016`).
    public let path: String
    /// The file's path, for messages.
    public let file: String
    /// Whether datasets are chunked and compressed.
    let compressed: Bool

    init(id: hid_t, path: String, file: String, compressed: Bool) {
        self.id = id
        self.path = path
        self.file = file
        self.compressed = compressed
    }

    deinit {
        if H5Iis_valid(id) > 0 { H5Gclose(id) }
    }

    func childPath(_ name: String) -> String {
        path == "/" ? "/" + name : path + "/" + name
    }

    func failure(_ action: String, _ name: String) -> HDF5Error {
        HDF5Error.failed("cannot \(action) \(childPath(name)) in \(file)")
    }

    // MARK: Groups

    /// Creates a subgroup.
    public func createGroup(_ name: String) throws -> HDF5Group {
        let child = H5Gcreate2(id, name, hid_t(mf_h5p_default()), hid_t(mf_h5p_default()), hid_t(mf_h5p_default()))
        guard child >= 0 else { throw failure("create group", name) }
        return HDF5Group(id: child, path: childPath(name), file: file, compressed: compressed)
    }

    /// Opens an existing subgroup.
    public func openGroup(_ name: String) throws -> HDF5Group {
        let child = H5Gopen2(id, name, hid_t(mf_h5p_default()))
        guard child >= 0 else { throw failure("open group", name) }
        return HDF5Group(id: child, path: childPath(name), file: file, compressed: compressed)
    }

    /// Whether a direct member (group or dataset) named `name` exists.
    public func contains(_ name: String) -> Bool {
        H5Lexists(id, name, hid_t(mf_h5p_default())) > 0
    }

    /// The names of the direct members, in name order.
    public func memberNames() throws -> [String] {
        var info = H5G_info_t()
        guard H5Gget_info(id, &info) >= 0 else { throw HDF5Error.failed("cannot list \(path) in \(file)") }
        return (0..<info.nlinks).compactMap { index in
            let length = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(mf_h5p_default()))
            guard length >= 0 else { return nil }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, hid_t(mf_h5p_default()))
            return String(cString: buffer)
        }
    }

    /// Whether the member `name` is a group (rather than a dataset).
    public func isGroup(_ name: String) -> Bool {
        var info = H5O_info_t()
        guard H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), hid_t(mf_h5p_default())) >= 0 else { return false }
        return info.type == H5O_TYPE_GROUP
    }

    // MARK: Numeric datasets

    /// Writes `values` as a dataset of the given `shape` (row-major, C order).
    ///
    /// - Precondition: the product of `shape` equals `values.count`.
    public func write<T: HDF5Element>(_ values: [T], to name: String, shape: [Int]? = nil) throws {
        let dims = (shape ?? [values.count]).map { hsize_t($0) }
        precondition(dims.reduce(1, *) == hsize_t(values.count), "shape does not match the element count")
        try values.withUnsafeBufferPointer { buffer in
            try writeRaw(UnsafeRawPointer(buffer.baseAddress), type: T.hdf5Type, elementSize: MemoryLayout<T>.stride, dims: dims, name: name)
        }
    }

    private func writeRaw(_ pointer: UnsafeRawPointer?, type: hid_t, elementSize: Int, dims: [hsize_t], name: String) throws {
        let space = H5Screate_simple(Int32(dims.count), dims, nil)
        guard space >= 0 else { throw failure("create a dataspace for", name) }
        defer { H5Sclose(space) }
        let create = try chunkedCreationList(dims: dims, elementSize: elementSize, name: name)
        defer { H5Pclose(create) }
        let dataset = H5Dcreate2(id, name, type, space, hid_t(mf_h5p_default()), create, hid_t(mf_h5p_default()))
        guard dataset >= 0 else { throw failure("create dataset", name) }
        defer { H5Dclose(dataset) }
        if dims.reduce(1, *) > 0 {
            guard H5Dwrite(dataset, type, mf_h5s_all(), mf_h5s_all(), hid_t(mf_h5p_default()), pointer) >= 0 else {
                throw failure("write dataset", name)
            }
        }
    }

    /// For compressed files, a creation list with ~256 KiB chunks split along the first axis,
    /// shuffle and deflate 4; otherwise the default (contiguous).
    func chunkedCreationList(dims: [hsize_t], elementSize: Int, name: String) throws -> hid_t {
        let create = H5Pcreate(mf_h5p_dataset_create())
        guard create >= 0 else { throw failure("create a property list for", name) }
        guard compressed, dims.allSatisfy({ $0 > 0 }) else { return create }
        let rowBytes = dims.dropFirst().reduce(hsize_t(elementSize), *)
        let rowsPerChunk = max(1, min(dims[0], hsize_t(262_144) / max(rowBytes, 1)))
        let chunk = [rowsPerChunk] + dims.dropFirst()
        guard H5Pset_chunk(create, Int32(chunk.count), chunk) >= 0,
            H5Pset_shuffle(create) >= 0,
            H5Pset_deflate(create, 4) >= 0
        else {
            H5Pclose(create)
            throw failure("set chunking and filters for", name)
        }
        return create
    }

    /// The shape of dataset `name`.
    public func shape(of name: String) throws -> [Int] {
        let dataset = H5Dopen2(id, name, hid_t(mf_h5p_default()))
        guard dataset >= 0 else { throw failure("open dataset", name) }
        defer { H5Dclose(dataset) }
        return try shape(dataset: dataset, name: name)
    }

    private func shape(dataset: hid_t, name: String) throws -> [Int] {
        let space = H5Dget_space(dataset)
        guard space >= 0 else { throw failure("read the shape of", name) }
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw failure("read the shape of", name) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        H5Sget_simple_extent_dims(space, &dims, nil)
        return dims.map { Int($0) }
    }

    /// Reads a whole numeric dataset, converting to `T`; returns the values (C order) and the shape.
    public func read<T: HDF5Element>(_ name: String, as type: T.Type = T.self) throws -> (values: [T], shape: [Int]) {
        let dataset = H5Dopen2(id, name, hid_t(mf_h5p_default()))
        guard dataset >= 0 else { throw failure("open dataset", name) }
        defer { H5Dclose(dataset) }
        let dims = try shape(dataset: dataset, name: name)
        let count = dims.reduce(1, *)
        var values = [T](repeating: T.zero, count: count)
        if count > 0 {
            let status = values.withUnsafeMutableBufferPointer { buffer in
                H5Dread(dataset, T.hdf5Type, mf_h5s_all(), mf_h5s_all(), hid_t(mf_h5p_default()), buffer.baseAddress)
            }
            guard status >= 0 else { throw failure("read dataset", name) }
        }
        return (values, dims)
    }

    /// Where the 1-D dataset `name` lies in its file — its first byte and its element count —
    /// when it is stored contiguous, unfiltered and written, as `T` in this machine's byte
    /// order; nil otherwise (read it with `read`).
    public func contiguousExtent<T: HDF5Element>(_ name: String, as type: T.Type) throws -> (offset: Int, count: Int)? {
        let dataset = H5Dopen2(id, name, hid_t(mf_h5p_default()))
        guard dataset >= 0 else { throw failure("open dataset", name) }
        defer { H5Dclose(dataset) }
        let dims = try shape(dataset: dataset, name: name)
        let fileType = H5Dget_type(dataset)
        guard fileType >= 0 else { throw failure("read the type of", name) }
        defer { H5Tclose(fileType) }
        let offset = H5Dget_offset(dataset)
        guard dims.count == 1, H5Tequal(fileType, T.hdf5Type) > 0, offset != haddr_t.max, offset < haddr_t(Int.max) else { return nil }
        return (Int(offset), dims[0])
    }

    /// Reads `buffer.count` elements of the 1-D dataset `name` starting at `offset`, into
    /// `buffer`: a window of a column too large to hold whole.
    public func read<T: HDF5Element>(_ name: String, from offset: Int, into buffer: UnsafeMutableBufferPointer<T>) throws {
        guard buffer.count > 0 else { return }
        let dataset = H5Dopen2(id, name, hid_t(mf_h5p_default()))
        guard dataset >= 0 else { throw failure("open dataset", name) }
        defer { H5Dclose(dataset) }
        let fileSpace = H5Dget_space(dataset)
        guard fileSpace >= 0 else { throw failure("read", name) }
        defer { H5Sclose(fileSpace) }
        var start = [hsize_t(offset)]
        var count = [hsize_t(buffer.count)]
        var memoryDims = [hsize_t(buffer.count)]
        let memorySpace = H5Screate_simple(1, &memoryDims, nil)
        guard memorySpace >= 0 else { throw failure("read", name) }
        defer { H5Sclose(memorySpace) }
        guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil) >= 0,
            H5Dread(dataset, T.hdf5Type, memorySpace, fileSpace, hid_t(mf_h5p_default()), buffer.baseAddress) >= 0
        else { throw failure("read part of", name) }
    }

    // MARK: String datasets

    /// Writes strings as a 1-D dataset of variable-length UTF-8 strings.
    public func writeStrings(_ strings: [String], to name: String) throws {
        try writeStrings(strings, to: name, dims: [hsize_t(strings.count)])
    }

    /// Writes one string as a scalar dataset (variable-length UTF-8).
    public func writeString(_ text: String, to name: String) throws {
        try writeStrings([text], to: name, dims: [])
    }

    private func writeStrings(_ strings: [String], to name: String, dims: [hsize_t]) throws {
        let type = try Self.utf8StringType()
        defer { H5Tclose(type) }
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        try pointers.withUnsafeBufferPointer { buffer in
            try writeRaw(UnsafeRawPointer(buffer.baseAddress), type: type, elementSize: MemoryLayout<UnsafeMutablePointer<CChar>?>.stride,
                         dims: dims, name: name)
        }
    }

    /// Reads a 1-D dataset of strings (variable-length).
    public func readStrings(_ name: String) throws -> [String] {
        let dataset = H5Dopen2(id, name, hid_t(mf_h5p_default()))
        guard dataset >= 0 else { throw failure("open dataset", name) }
        defer { H5Dclose(dataset) }
        let count = try shape(dataset: dataset, name: name).reduce(1, *)
        guard count > 0 else { return [] }
        let type = try Self.utf8StringType()
        defer { H5Tclose(type) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        guard H5Dread(dataset, type, mf_h5s_all(), mf_h5s_all(), hid_t(mf_h5p_default()), &pointers) >= 0 else {
            throw failure("read strings from", name)
        }
        let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
        H5Dvlen_reclaim(type, space, hid_t(mf_h5p_default()), &pointers)
        return strings
    }

    static func utf8StringType() throws -> hid_t {
        let type = H5Tcopy(mf_h5t_c_s1())
        guard type >= 0, H5Tset_size(type, mf_h5t_variable()) >= 0, H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
            throw HDF5Error.failed("cannot make a UTF-8 string type")
        }
        return type
    }
}
