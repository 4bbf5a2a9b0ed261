/// Maps external ids, as read from text, to dense indices in first-seen order.
///
/// Canonical decimal ids (`42`, not `042`) take an integer map that needs no string per
/// row; everything else is mapped by its text. The two never collide, because text that
/// is a canonical decimal always takes the integer path.
public struct IdMapper {
    private var integerIndex: [Int64: Int32] = [:]
    private var textIndex: [String: Int32] = [:]
    /// The ids in first-seen order.
    public private(set) var ids: [String] = []

    /// Creates an empty mapper.
    public init() {}

    /// The dense index of the id in `field`, assigning the next one when it is new.
    @inline(__always)
    public mutating func index(of field: UnsafeBufferPointer<UInt8>) -> Int32 {
        if let number = NumberParsing.canonicalID(field) {
            if let index = integerIndex[number] { return index }
            let index = Int32(ids.count)
            integerIndex[number] = index
            ids.append(String(number))
            return index
        }
        return index(ofText: String(decoding: field, as: UTF8.self))
    }

    /// The dense index of an id given as text.
    public mutating func index(ofText text: String) -> Int32 {
        if let index = textIndex[text] { return index }
        if let number = Int64(text), String(number) == text, let index = integerIndex[number] { return index }
        let index = Int32(ids.count)
        if let number = Int64(text), String(number) == text, number >= 0 {
            integerIndex[number] = index
        } else {
            textIndex[text] = index
        }
        ids.append(text)
        return index
    }

    /// The ids as an `IdTable`.
    public var table: IdTable { IdTable(ids: ids) }
}
