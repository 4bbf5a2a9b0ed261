import CHDF5
import Foundation

/// A scalar attribute value as mfpipe writes it.
public enum HDF5Attribute: Equatable, CustomStringConvertible {
    /// A variable-length UTF-8 string.
    case string(String)
    /// A 64-bit float.
    case double(Double)
    /// A 64-bit signed integer (booleans are written as 0 or 1).
    case int(Int64)

    public var description: String {
        switch self {
        case .string(let text): return text
        case .double(let value): return JSONWriter.number(value)
        case .int(let value): return String(value)
        }
    }
}

extension HDF5Group {
    /// Writes (or replaces) a scalar attribute on this group.
    public func setAttribute(_ name: String, _ value: HDF5Attribute) throws {
        try setAttribute(name, value, object: id, path: path)
    }

    /// Writes (or replaces) a scalar attribute on the member (a dataset, say) named `member`.
    public func setAttribute(_ name: String, _ value: HDF5Attribute, on member: String) throws {
        let object = H5Oopen(id, member, hid_t(mf_h5p_default()))
        guard object >= 0 else { throw HDF5Error.failed("cannot open \(member) in \(path) of \(file)") }
        defer { H5Oclose(object) }
        try setAttribute(name, value, object: object, path: path == "/" ? "/" + member : path + "/" + member)
    }

    private func setAttribute(_ name: String, _ value: HDF5Attribute, object id: hid_t, path: String) throws {
        if H5Aexists(id, name) > 0 { H5Adelete(id, name) }
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let type: hid_t
        switch value {
        case .string: type = try Self.utf8StringType()
        case .double: type = H5Tcopy(Double.hdf5Type)
        case .int: type = H5Tcopy(Int64.hdf5Type)
        }
        defer { H5Tclose(type) }
        let attribute = H5Acreate2(id, name, type, space, hid_t(mf_h5p_default()), hid_t(mf_h5p_default()))
        guard attribute >= 0 else { throw HDF5Error.failed("cannot create attribute \(name) on \(path) in \(file)") }
        defer { H5Aclose(attribute) }
        let status: herr_t
        switch value {
        case .string(let text):
            let pointer = strdup(text)
            defer { free(pointer) }
            var pointers = [pointer]
            status = H5Awrite(attribute, type, &pointers)
        case .double(var number):
            status = H5Awrite(attribute, type, &number)
        case .int(var number):
            status = H5Awrite(attribute, type, &number)
        }
        guard status >= 0 else { throw HDF5Error.failed("cannot write attribute \(name) on \(path) in \(file)") }
    }

    /// Writes a string attribute.
    public func setAttribute(_ name: String, _ text: String) throws {
        try setAttribute(name, .string(text))
    }

    /// Writes (or replaces) a 1-D attribute of variable-length UTF-8 strings.
    public func setAttribute(_ name: String, strings: [String]) throws {
        if H5Aexists(id, name) > 0 { H5Adelete(id, name) }
        let space = H5Screate_simple(1, [hsize_t(strings.count)], nil)
        defer { H5Sclose(space) }
        let type = try Self.utf8StringType()
        defer { H5Tclose(type) }
        let attribute = H5Acreate2(id, name, type, space, hid_t(mf_h5p_default()), hid_t(mf_h5p_default()))
        guard attribute >= 0 else { throw HDF5Error.failed("cannot create attribute \(name) on \(path) in \(file)") }
        defer { H5Aclose(attribute) }
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        guard H5Awrite(attribute, type, pointers) >= 0 else { throw HDF5Error.failed("cannot write attribute \(name) on \(path) in \(file)") }
    }

    /// Reads a scalar attribute, or returns nil when it does not exist.
    public func attribute(_ name: String) throws -> HDF5Attribute? {
        guard H5Aexists(id, name) > 0 else { return nil }
        let attribute = H5Aopen(id, name, hid_t(mf_h5p_default()))
        guard attribute >= 0 else { throw HDF5Error.failed("cannot open attribute \(name) on \(path) in \(file)") }
        defer { H5Aclose(attribute) }
        let stored = H5Aget_type(attribute)
        defer { H5Tclose(stored) }
        switch H5Tget_class(stored) {
        case H5T_STRING:
            let type = try Self.utf8StringType()
            defer { H5Tclose(type) }
            if H5Tis_variable_str(stored) > 0 {
                var pointers: [UnsafeMutablePointer<CChar>?] = [nil]
                guard H5Aread(attribute, type, &pointers) >= 0 else { throw HDF5Error.failed("cannot read attribute \(name) in \(file)") }
                let text = pointers[0].map { String(cString: $0) } ?? ""
                let space = H5Screate(H5S_SCALAR)
                H5Dvlen_reclaim(type, space, hid_t(mf_h5p_default()), &pointers)
                H5Sclose(space)
                return .string(text)
            }
            let size = H5Tget_size(stored)
            var buffer = [CChar](repeating: 0, count: size + 1)
            guard H5Aread(attribute, stored, &buffer) >= 0 else { throw HDF5Error.failed("cannot read attribute \(name) in \(file)") }
            return .string(String(cString: buffer))
        case H5T_INTEGER:
            var value: Int64 = 0
            guard H5Aread(attribute, Int64.hdf5Type, &value) >= 0 else { throw HDF5Error.failed("cannot read attribute \(name) in \(file)") }
            return .int(value)
        case H5T_FLOAT:
            var value: Double = 0
            guard H5Aread(attribute, Double.hdf5Type, &value) >= 0 else { throw HDF5Error.failed("cannot read attribute \(name) in \(file)") }
            return .double(value)
        default:
            throw HDF5Error("attribute \(name) on \(path) in \(file) has a type mfpipe does not read")
        }
    }

    /// The names of this group's attributes, in creation order.
    public func attributeNames() throws -> [String] {
        var info = H5O_info_t()
        guard H5Oget_info2(id, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else { throw HDF5Error.failed("cannot list attributes of \(path) in \(file)") }
        return (0..<info.num_attrs).compactMap { index in
            let length = H5Aget_name_by_idx(id, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, index, nil, 0, hid_t(mf_h5p_default()))
            let fallback = length < 0
                ? H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(mf_h5p_default())) : length
            guard fallback >= 0 else { return nil }
            var buffer = [CChar](repeating: 0, count: Int(fallback) + 1)
            let order = length < 0 ? H5_INDEX_NAME : H5_INDEX_CRT_ORDER
            H5Aget_name_by_idx(id, ".", order, H5_ITER_INC, index, &buffer, buffer.count, hid_t(mf_h5p_default()))
            return String(cString: buffer)
        }
    }

    /// A required string attribute; throws naming it when missing or of another type.
    public func stringAttribute(_ name: String) throws -> String {
        guard case .string(let text)? = try attribute(name) else {
            throw HDF5Error("missing string attribute \(name) on \(path) in \(file)")
        }
        return text
    }

    /// A required numeric attribute as a double.
    public func doubleAttribute(_ name: String) throws -> Double {
        switch try attribute(name) {
        case .double(let value)?: return value
        case .int(let value)?: return Double(value)
        default: throw HDF5Error("missing numeric attribute \(name) on \(path) in \(file)")
        }
    }

    /// A required integer attribute.
    public func intAttribute(_ name: String) throws -> Int {
        switch try attribute(name) {
        case .int(let value)?: return Int(value)
        case .double(let value)? where value.rounded() == value: return Int(value)
        default: throw HDF5Error("missing integer attribute \(name) on \(path) in \(file)")
        }
    }
}
