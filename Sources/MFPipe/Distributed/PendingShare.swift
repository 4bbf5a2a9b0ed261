import CMPI
import Foundation

/// A `MPIWorld.share` under way: this rank's regions were copied into the message when it
/// began; `finish` waits for every rank's and writes the others' regions. A message of up to
/// 2 GiB travels by one non-blocking all-gather, which `progress` lets advance while this
/// rank computes; a larger one is gathered at once, in rounds.
public final class PendingShare {
    private let world: MPIWorld
    private let regions: [[UnsafeMutableRawBufferPointer]]
    private let starts: [Int]
    private let buffer: UnsafeMutableRawBufferPointer
    private var request: MPI_Request?
    private var finished = false

    init(world: MPIWorld, regions: [[UnsafeMutableRawBufferPointer]]) {
        self.world = world
        self.regions = regions
        let lengths = regions.map { $0.reduce(0) { $0 + $1.count } }
        starts = lengths.indices.map { lengths[..<$0].reduce(0, +) }
        let total = lengths.reduce(0, +)
        buffer = .allocate(byteCount: max(total, 1), alignment: 64)
        guard world.size > 1 else { return }
        var offset = starts[world.rank]
        for region in regions[world.rank] where region.count > 0 {
            (buffer.baseAddress! + offset).copyMemory(from: region.baseAddress!, byteCount: region.count)
            offset += region.count
        }
        if total < Int(Int32.max) {
            MPI_Iallgatherv(mf_mpi_in_place(), 0, mf_mpi_byte(), buffer.baseAddress, lengths.map { Int32($0) }, starts.map { Int32($0) },
                            mf_mpi_byte(), mf_mpi_comm_world(), &request)
        } else {
            world.allGatherInPlace(buffer, lengths: lengths, starts: starts)
        }
    }

    deinit {
        finish()
        buffer.deallocate()
    }

    /// Lets the message advance (MPI moves data only inside its calls); from the thread
    /// that began it.
    public func progress() {
        guard request != nil else { return }
        var done: Int32 = 0
        MPI_Test(&request, &done, mf_mpi_status_ignore())
    }

    /// Waits for every rank's bytes and writes the other ranks' regions; once.
    public func finish() {
        guard !finished else { return }
        finished = true
        guard world.size > 1 else { return }
        if request != nil { MPI_Wait(&request, mf_mpi_status_ignore()) }
        for other in regions.indices where other != world.rank {
            var offset = starts[other]
            for region in regions[other] where region.count > 0 {
                region.baseAddress!.copyMemory(from: buffer.baseAddress! + offset, byteCount: region.count)
                offset += region.count
            }
        }
    }
}
