import CZlib
import Foundation

/// A checkpoint written by every rank of an `mpirun` job together, each rank its own slice:
/// `<checkpoint>.slice-<rank>-of-<ranks>.g<generation>`.
///
/// Between epochs every rank holds the same solver state, so each encodes the same
/// checkpoint bytes and writes only its share of them (rank r: bytes r·L/N ..< (r+1)·L/N).
/// A save writes generation g + 1 (g the newest any rank has), waits for every rank, and
/// only then removes the older generations, so a job killed at any moment — one rank or all
/// — leaves at least one complete generation. A load takes the newest generation of which
/// every slice is present and whose joined bytes decode (the checkpoint's own checksum
/// covers every slice).
struct CheckpointSlices {
    /// The single-process checkpoint file the slices stand beside.
    let url: URL

    private var folder: URL { url.deletingLastPathComponent() }
    private var prefix: String { url.lastPathComponent + ".slice-" }

    /// One generation written by a number of ranks.
    private struct SliceSet: Hashable {
        let generation: Int
        let ranks: Int
    }

    /// One slice file's place in its set.
    private struct Name: Hashable {
        let rank: Int
        let ranks: Int
        let generation: Int
    }

    private func fileName(_ name: Name) -> String {
        "\(prefix)\(name.rank)-of-\(name.ranks).g\(name.generation)"
    }

    /// Every slice file present, by its place.
    private func present() -> [Name] {
        FileSystem.contents(of: folder).compactMap { file in
            guard file.hasPrefix(prefix) else { return nil }
            let parts = file.dropFirst(prefix.count).split(separator: ".")
            guard parts.count == 2, parts[1].hasPrefix("g"), let generation = Int(parts[1].dropFirst()) else { return nil }
            let place = parts[0].components(separatedBy: "-of-")
            guard place.count == 2, let rank = Int(place[0]), let ranks = Int(place[1]), (0..<ranks).contains(rank) else { return nil }
            return Name(rank: rank, ranks: ranks, generation: generation)
        }
    }

    /// The newest complete, intact set's checkpoint carrying `key`, or nil.
    func load(key: String) -> Checkpoint? {
        let names = Set(present())
        for set in Set(names.map { SliceSet(generation: $0.generation, ranks: $0.ranks) }).sorted(by: { $0.generation > $1.generation }) {
            let (generation, ranks) = (set.generation, set.ranks)
            var joined = Data()
            var complete = true
            for rank in 0..<ranks {
                let name = Name(rank: rank, ranks: ranks, generation: generation)
                guard names.contains(name), let data = try? FileSystem.read(folder.appendingPathComponent(fileName(name))) else {
                    complete = false
                    break
                }
                joined.append(data)
            }
            if complete, let checkpoint = try? Checkpoint(decoding: joined), checkpoint.key == key { return checkpoint }
        }
        return nil
    }

    /// Writes this rank's slice of `encoded` as a new generation, together with every rank
    /// of `world`, then removes this rank's older slices.
    ///
    /// - Throws: `CheckpointError.damaged` when the ranks' states differ; the write's error
    ///   when any rank could not write (every rank throws).
    func save(_ encoded: Data, world: MPIWorld) throws {
        let checksum = encoded.withUnsafeBytes { Int(crc32_z(0, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count)) }
        guard Set(world.gather(Double(checksum))).count == 1 else {
            throw CheckpointError.damaged("the ranks' solver states differ; no checkpoint written")
        }
        let generation = world.maximum(present().map(\.generation).max() ?? 0) + 1
        let (rank, ranks) = (world.rank, world.size)
        let slice = encoded[(encoded.count * rank / ranks)..<(encoded.count * (rank + 1) / ranks)]
        var failure: Error?
        do {
            try AtomicFile.write(Data(slice), to: folder.appendingPathComponent(fileName(Name(rank: rank, ranks: ranks, generation: generation))))
        } catch {
            failure = error
        }
        let anyFailed = world.maximum(failure == nil ? 0 : 1) != 0
        if let failure { throw failure }
        if anyFailed { throw CheckpointError.damaged("another rank could not write its checkpoint slice") }
        for name in present() where name.rank == rank && name.generation < generation {
            try? FileSystem.remove(folder.appendingPathComponent(fileName(name)))
        }
    }

    /// Removes every slice.
    func removeAll() {
        for name in present() { try? FileSystem.remove(folder.appendingPathComponent(fileName(name))) }
    }
}
