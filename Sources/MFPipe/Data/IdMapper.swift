/// Maps external ids, as read from text, to dense indices in first-seen order.
///
/// Canonical decimal ids (`42`, not `042`) are mapped by value — through a flat array when
/// they are small enough for one, else a dictionary — so numeric ids cost no string per
/// row; so are integral decimals (`42.0`, as pandas writes integer ids), which are the
/// same ids. Everything else is mapped by its text. The two never collide, because text
/// that is a canonical or integral decimal always takes the numeric path.
public struct IdMapper {
    private var byValue: [Int32] = []
    private var largeIndex: [Int64: Int32] = [:]
    private var textIndex: [String: Int32] = [:]
    /// The ids in first-seen order.
    public private(set) var ids: [String] = []

    /// Creates an empty mapper.
    public init() {}

    /// The dense index of the id in `field`, assigning the next one when it is new.
    @inline(__always)
    public mutating func index(of field: UnsafeBufferPointer<UInt8>) -> Int32 {
        if let number = Self.number(field) { return index(ofNumber: number) }
        return index(ofNonNumeric: String(decoding: field, as: UTF8.self))
    }

    /// The value of an id that is a number, canonical (`42`) or integral (`42.0`); nil otherwise.
    @inline(__always)
    private static func number(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        NumberParsing.canonicalID(field) ?? NumberParsing.integralDecimalID(field)
    }

    /// The dense index of a canonical non-negative decimal id given by its value.
    @inline(__always)
    public mutating func index(ofNumber number: Int64) -> Int32 {
        if number < byValue.count {
            let index = byValue.withUnsafeBufferPointer { $0[Int(number)] }
            if index >= 0 { return index }
        }
        return assign(number)
    }

    /// The slow path of `index(ofNumber:)`: an id not seen before, or one too large for the flat array.
    private mutating func assign(_ number: Int64) -> Int32 {
        if number < byValue.count {
            if let earlier = largeIndex[number] {
                byValue[Int(number)] = earlier
                return earlier
            }
            let assigned = Int32(ids.count)
            byValue[Int(number)] = assigned
            ids.append(String(number))
            return assigned
        }
        if number < 1 << 24 && number < 16 * (Int64(ids.count) + 65_536) {
            byValue.append(contentsOf: repeatElement(-1, count: max(Int(number) + 1, 2 * byValue.count) - byValue.count))
            return assign(number)
        }
        if let index = largeIndex[number] { return index }
        let assigned = Int32(ids.count)
        largeIndex[number] = assigned
        ids.append(String(number))
        return assigned
    }

    /// The dense index of an id given as text.
    public mutating func index(ofText text: String) -> Int32 {
        var utf8 = text
        if let number = utf8.withUTF8(Self.number) { return index(ofNumber: number) }
        return index(ofNonNumeric: text)
    }

    /// The dense index of an id that is not a number.
    private mutating func index(ofNonNumeric text: String) -> Int32 {
        if let index = textIndex[text] { return index }
        let assigned = Int32(ids.count)
        textIndex[text] = assigned
        ids.append(text)
        return assigned
    }

    /// The ids as an `IdTable`.
    public var table: IdTable { IdTable(ids: ids) }
}
