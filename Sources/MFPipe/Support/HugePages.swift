import Foundation

/// Advice to the kernel to back large buffers with transparent huge pages, so that filling
/// hundreds of megabytes takes hundreds of page faults and TLB entries, not tens of
/// thousands. Only advice: without huge pages nothing changes.
enum HugePages {
    /// Advises the whole 2 MB pages inside `byteCount` bytes from `base`.
    static func advise(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        let huge = 2 << 20
        let start = (Int(bitPattern: base) + huge - 1) / huge * huge
        let end = (Int(bitPattern: base) + byteCount) / huge * huge
        if end > start { madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
    }
}
