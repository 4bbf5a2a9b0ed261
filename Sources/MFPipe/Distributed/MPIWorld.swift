import CMPI
import Foundation

/// The processes of one `mpirun` job and the collective operations mfpipe uses between
/// them (Open MPI through its C library).
///
/// The same binary runs with or without `mpirun`: MPI is started only when the process was
/// launched by it (`launchedByMPIRun`), so a plain `mfpipe run` never touches MPI. Rank 0
/// is the leader: it alone decides what runs, writes artifacts, the run record and the
/// log; the other ranks follow (`Follower`). Every operation here is collective: every
/// rank calls it, in the same order, from one thread at a time (`MPI_THREAD_SERIALIZED`).
public final class MPIWorld: @unchecked Sendable {
    /// This process's rank, 0 ..< size.
    public let rank: Int
    /// The number of ranks.
    public let size: Int
    /// The ranks running on this host (they share its cores).
    public let localSize: Int

    /// Whether rank 0.
    public var isLeader: Bool { rank == 0 }

    private init(rank: Int, size: Int, localSize: Int) {
        self.rank = rank
        self.size = size
        self.localSize = localSize
    }

    /// Whether this process was started by Open MPI's `mpirun` (its environment says so).
    public static var launchedByMPIRun: Bool {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil
    }

    /// Whether this process was started by `mpirun` as a rank other than 0 (known before
    /// MPI starts, for a command that fails before it does).
    public static var launchedAsFollower: Bool {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"].map { $0 != "0" } ?? false
    }

    /// Starts MPI and joins the job's world.
    ///
    /// - Throws: `StageFailure` when MPI cannot give the thread support mfpipe needs.
    public static func start() throws -> MPIWorld {
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, mf_mpi_thread_serialized(), &provided)
        guard provided >= mf_mpi_thread_serialized() else {
            MPI_Finalize()
            throw StageFailure(node: "mpi", message: "this MPI library cannot be called from more than one thread (MPI_THREAD_SERIALIZED)")
        }
        var rank: Int32 = 0
        var size: Int32 = 0
        MPI_Comm_rank(mf_mpi_comm_world(), &rank)
        MPI_Comm_size(mf_mpi_comm_world(), &size)
        let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? Int(size)
        return MPIWorld(rank: Int(rank), size: Int(size), localSize: max(local, 1))
    }

    /// Leaves the job (every rank, once, before exiting).
    public func finish() {
        MPI_Finalize()
    }

    /// The threads this rank should use out of `threads` for the host when every rank of
    /// the host computes: its share.
    public func threadShare(of threads: Int) -> Int {
        max(1, threads / localSize)
    }

    /// The leader's `data`, on every rank (other ranks' argument is ignored). The other
    /// ranks wait for it asleep, waking every millisecond, rather than spinning in MPI: a
    /// rank waiting for the leader's next command leaves its core to the leader.
    public func broadcast(_ data: Data) -> Data {
        var length = Int64(data.count)
        var request: MPI_Request?
        MPI_Ibcast(&length, 1, mf_mpi_long_long(), 0, mf_mpi_comm_world(), &request)
        var done: Int32 = 0
        while true {
            MPI_Test(&request, &done, mf_mpi_status_ignore())
            if done != 0 { break }
            usleep(1000)
        }
        var bytes = isLeader ? [UInt8](data) : [UInt8](repeating: 0, count: Int(length))
        bytes.withUnsafeMutableBytes { buffer in
            for (start, count) in Self.chunks(Int(length)) {
                _ = MPI_Bcast(buffer.baseAddress! + start, Int32(count), mf_mpi_byte(), 0, mf_mpi_comm_world())
            }
        }
        return Data(bytes)
    }

    /// The leader's `value`, on every rank.
    public func leaderValue(_ value: Double) -> Double {
        var shared = value
        MPI_Bcast(&shared, 1, mf_mpi_double(), 0, mf_mpi_comm_world())
        return shared
    }

    /// The largest of every rank's `value`.
    public func maximum(_ value: Int) -> Int {
        var mine = Int64(value)
        var result: Int64 = 0
        MPI_Allreduce(&mine, &result, 1, mf_mpi_long_long(), mf_mpi_max(), mf_mpi_comm_world())
        return Int(result)
    }

    /// Every rank's `value`, in rank order.
    public func gather(_ value: Double) -> [Double] {
        var mine = value
        var all = [Double](repeating: 0, count: size)
        MPI_Allgather(&mine, 1, mf_mpi_double(), &all, 1, mf_mpi_double(), mf_mpi_comm_world())
        return all
    }

    /// Makes every rank's regions known to every rank: `regions(r)` names, in this
    /// process's memory, the bytes rank r computed (the same layout on every rank). This
    /// rank's own regions are sent; every other rank's are overwritten with what it sent.
    ///
    /// When the ranks' j-th regions lie end to end in rank order (rows of one matrix cut
    /// among the ranks), each such run is gathered in place, with no copy; otherwise through
    /// one packed message.
    public func share(_ regions: (Int) -> [UnsafeMutableRawBufferPointer]) {
        guard size > 1 else { return }
        let all = (0..<size).map(regions)
        if let runs = Self.endToEnd(all) {
            for run in runs { allGatherInPlace(run.base, lengths: run.lengths) }
            return
        }
        let lengths = all.map { $0.reduce(0) { $0 + $1.count } }
        let starts = lengths.indices.map { lengths[..<$0].reduce(0, +) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(lengths.reduce(0, +), 1), alignment: 64)
        defer { buffer.deallocate() }
        // Rank r's regions, each beside its place in the message.
        func places(of rank: Int) -> [(region: UnsafeMutableRawBufferPointer, place: UnsafeMutableRawPointer)] {
            var offset = starts[rank]
            return all[rank].compactMap { region in
                defer { offset += region.count }
                return region.count > 0 ? (region, buffer.baseAddress! + offset) : nil
            }
        }
        for (region, place) in places(of: rank) { place.copyMemory(from: region.baseAddress!, byteCount: region.count) }
        allGather(buffer, lengths: lengths, starts: starts)
        for other in all.indices where other != rank {
            for (region, place) in places(of: other) { region.baseAddress!.copyMemory(from: place, byteCount: region.count) }
        }
    }

    /// For each region index j, the start and the ranks' lengths of the run that the ranks'
    /// j-th regions make when they lie end to end in rank order; nil when any does not (or
    /// a run is too long for MPI's 32-bit counts).
    private static func endToEnd(_ all: [[UnsafeMutableRawBufferPointer]]) -> [(base: UnsafeMutableRawPointer, lengths: [Int])]? {
        guard let count = all.first?.count, all.allSatisfy({ $0.count == count }) else { return nil }
        var runs: [(base: UnsafeMutableRawPointer, lengths: [Int])] = []
        for index in 0..<count {
            let regions = all.map { $0[index] }
            let lengths = regions.map(\.count)
            guard let base = regions[0].baseAddress, lengths.reduce(0, +) < Int(Int32.max) else { return nil }
            for rank in regions.indices.dropFirst() {
                let end = regions[rank - 1].baseAddress.map { UnsafeRawPointer($0 + lengths[rank - 1]) }
                guard let start = regions[rank].baseAddress, UnsafeRawPointer(start) == end else { return nil }
            }
            runs.append((base, lengths))
        }
        return runs
    }

    /// Fills the run at `base` (rank r's `lengths[r]` bytes after those of the ranks before
    /// it, this rank's already in place) with every rank's bytes.
    private func allGatherInPlace(_ base: UnsafeMutableRawPointer, lengths: [Int]) {
        let counts = lengths.map { Int32($0) }
        let displacements = counts.indices.map { Int32(lengths[..<$0].reduce(0, +)) }
        MPI_Allgatherv(mf_mpi_in_place(), 0, mf_mpi_byte(), base, counts, displacements, mf_mpi_byte(), mf_mpi_comm_world())
    }

    /// Fills `buffer` (rank r's bytes at `starts[r]`, `lengths[r]` long, this rank's already
    /// in place) with every rank's bytes, in rounds of at most 2 GiB / size per rank: the way for
    /// messages past MPI's 32-bit counts and displacements.
    private func allGather(_ buffer: UnsafeMutableRawBufferPointer, lengths: [Int], starts: [Int]) {
        let most = Int(Int32.max) / size
        let rounds = lengths.map { Self.chunks($0, most: most).count }.max() ?? 0
        for round in 0..<rounds {
            let pieces = lengths.map { length in Self.chunks(length, most: most).dropFirst(round).first ?? (length, 0) }
            let counts = pieces.map { Int32($0.count) }
            let displacements = counts.indices.map { Int32(counts[..<$0].reduce(0) { $0 + Int($1) }) }
            let packed = UnsafeMutableRawBufferPointer.allocate(byteCount: max(pieces.reduce(0) { $0 + $1.count }, 1), alignment: 64)
            defer { packed.deallocate() }
            MPI_Allgatherv(buffer.baseAddress! + starts[rank] + pieces[rank].start, counts[rank], mf_mpi_byte(), packed.baseAddress,
                           counts, displacements, mf_mpi_byte(), mf_mpi_comm_world())
            for other in 0..<size where other != rank && counts[other] > 0 {
                (buffer.baseAddress! + starts[other] + pieces[other].start)
                    .copyMemory(from: packed.baseAddress! + Int(displacements[other]), byteCount: Int(counts[other]))
            }
        }
    }

    /// (start, count) pieces of at most `most` bytes covering 0 ..< length.
    static func chunks(_ length: Int, most: Int = 1 << 30) -> [(start: Int, count: Int)] {
        stride(from: 0, to: length, by: most).map { ($0, min(most, length - $0)) }
    }

    /// Contiguous ranges of tasks, one per rank, each with about the same total weight
    /// (the same cut on every rank: it depends only on the weights and `size`).
    public func partition(_ weights: [Int]) -> [Range<Int>] {
        partition(weights.map(Double.init))
    }

    /// `partition` of weights that need not be whole.
    public func partition(_ weights: [Double]) -> [Range<Int>] {
        let total = max(weights.reduce(0, +), .leastNormalMagnitude)
        var bounds = [0]
        var running = 0.0
        var next = 1
        for (index, weight) in weights.enumerated() {
            running += weight
            while next < size && running * Double(size) >= Double(next) * total {
                bounds.append(index + 1)
                next += 1
            }
        }
        while bounds.count <= size { bounds.append(weights.count) }
        bounds[size] = weights.count
        return (0..<size).map { bounds[$0]..<max(bounds[$0], bounds[$0 + 1]) }
    }

    /// Stops every rank of the job at once (after a failure that leaves the ranks unable to
    /// continue together).
    public func abort(code: Int32) -> Never {
        MPI_Abort(mf_mpi_comm_world(), code)
        exit(code)
    }
}
