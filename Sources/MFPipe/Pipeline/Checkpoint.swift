import CZlib
import Foundation

/// A solver's complete state at a safe point, as named arrays: enough to continue training
/// and end with the same bits as a run that was never interrupted.
///
/// On disk: the magic `MFPCKPT1`, a JSON header (its byte length first, as a little-endian
/// UInt64) naming the node's key, the epoch reached and each array's name, type and
/// length; the arrays' raw little-endian bytes; and a CRC-32 of everything before it.
public struct Checkpoint: Sendable {
    /// One named array of numbers.
    public enum Values: Sendable, Equatable {
        case floats([Float])
        case doubles([Double])
        case integers([Int64])
    }

    /// The stage key the state belongs to.
    public var key: String
    /// Epochs (or iterations) completed.
    public var epoch: Int
    /// The most epochs the run may take.
    public var epochs: Int
    /// The arrays, by name.
    public var arrays: [String: Values] = [:]

    /// An empty checkpoint for `key` at `epoch` of `epochs`.
    public init(key: String, epoch: Int, epochs: Int) {
        self.key = key
        self.epoch = epoch
        self.epochs = epochs
    }

    private static let magic = Array("MFPCKPT1".utf8)

    /// The floats named `name`.
    public func floats(_ name: String) throws -> [Float] {
        guard case .floats(let values)? = arrays[name] else { throw CheckpointError.missing(name) }
        return values
    }

    /// The doubles named `name`.
    public func doubles(_ name: String) throws -> [Double] {
        guard case .doubles(let values)? = arrays[name] else { throw CheckpointError.missing(name) }
        return values
    }

    /// The integers named `name`.
    public func integers(_ name: String) throws -> [Int64] {
        guard case .integers(let values)? = arrays[name] else { throw CheckpointError.missing(name) }
        return values
    }

    /// The single integer named `name`.
    public func integer(_ name: String) throws -> Int {
        guard let value = try integers(name).first else { throw CheckpointError.missing(name) }
        return Int(value)
    }

    /// The single double named `name`.
    public func double(_ name: String) throws -> Double {
        guard let value = try doubles(name).first else { throw CheckpointError.missing(name) }
        return value
    }

    /// The file's bytes.
    public func encoded() -> Data {
        let names = arrays.keys.sorted()
        let header = JSONValue.object([
            ("key", .string(key)), ("epoch", .number(Double(epoch))), ("epochs", .number(Double(epochs))),
            ("arrays", .array(names.map { name in
                let (type, count) = Self.describe(arrays[name]!)
                return .object([("name", .string(name)), ("type", .string(type)), ("count", .number(Double(count)))])
            })),
        ])
        var data = Data(Self.magic)
        let headerBytes = Data(JSONWriter.compact(header).utf8)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(headerBytes)
        for name in names {
            switch arrays[name]! {
            case .floats(let values): values.withUnsafeBytes { data.append(contentsOf: $0) }
            case .doubles(let values): values.withUnsafeBytes { data.append(contentsOf: $0) }
            case .integers(let values): values.withUnsafeBytes { data.append(contentsOf: $0) }
            }
        }
        withUnsafeBytes(of: Self.crc(data).littleEndian) { data.append(contentsOf: $0) }
        return data
    }

    /// Decodes what `encoded()` wrote.
    ///
    /// - Throws: `CheckpointError.damaged` when the magic, the checksum or the layout is wrong.
    public init(decoding data: Data) throws {
        guard data.count >= Self.magic.count + 12, data.prefix(Self.magic.count).elementsEqual(Self.magic) else {
            throw CheckpointError.damaged("not a checkpoint file")
        }
        let body = data.prefix(data.count - 4)
        let stored = data.suffix(4).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard Self.crc(body) == stored else { throw CheckpointError.damaged("checksum mismatch") }
        var offset = data.startIndex + Self.magic.count
        let headerLength = Int(data[offset..<offset + 8].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        offset += 8
        guard headerLength <= body.endIndex - offset, let header = try? JSONParser.parse(data[offset..<offset + headerLength]),
            let key = header["key"]?.stringValue, let epoch = header["epoch"]?.intValue, let epochs = header["epochs"]?.intValue,
            let entries = header["arrays"]?.arrayValue
        else { throw CheckpointError.damaged("unreadable header") }
        offset += headerLength
        self.init(key: key, epoch: epoch, epochs: epochs)
        for entry in entries {
            guard let name = entry["name"]?.stringValue, let type = entry["type"]?.stringValue, let count = entry["count"]?.intValue,
                count >= 0, let width = ["f32": 4, "f64": 8, "i64": 8][type], count * width <= body.endIndex - offset
            else { throw CheckpointError.damaged("unreadable header") }
            let bytes = data[offset..<offset + count * width]
            offset += count * width
            switch type {
            case "f32": arrays[name] = .floats(Self.values(bytes, count))
            case "f64": arrays[name] = .doubles(Self.values(bytes, count))
            default: arrays[name] = .integers(Self.values(bytes, count))
            }
        }
    }

    private static func values<T>(_ bytes: Data, _ count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            }
            initialized = count
        }
    }

    private static func describe(_ values: Values) -> (String, Int) {
        switch values {
        case .floats(let array): return ("f32", array.count)
        case .doubles(let array): return ("f64", array.count)
        case .integers(let array): return ("i64", array.count)
        }
    }

    private static func crc(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { bytes in
            UInt32(crc32_z(0, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count))
        }
    }
}

/// A checkpoint that cannot be used: it is ignored and training starts afresh.
public enum CheckpointError: Error, CustomStringConvertible {
    /// The file is not intact.
    case damaged(String)
    /// An array the solver needs is absent.
    case missing(String)
    /// An array has the wrong length for this problem.
    case shape(String, Int, Int)

    public var description: String {
        switch self {
        case .damaged(let why): return "damaged checkpoint (\(why))"
        case .missing(let name): return "checkpoint lacks \(name)"
        case let .shape(name, expected, found): return "checkpoint's \(name) has \(found) values, expected \(expected)"
        }
    }
}
