import Foundation

/// A solver's mutable state, trained epoch by epoch by `TrainingLoop`, which owns
/// everything common to every method: cancellation, progress, validation, patience, the
/// kept best epoch, divergence and checkpoints. A method supplies only its epoch and its
/// state.
public protocol IterativeSolver: AnyObject {
    /// Trains epoch `epoch` (1-based), or the rest of it after a restore, on `threads`
    /// threads.
    func trainEpoch(_ epoch: Int, threads: Int, cancellation: Cancellation) -> EpochResult
    /// The validation RMSE on the original scale of the current factors (NaN without a validation set).
    func validationRMSE(threads: Int) -> Double
    /// The regularization part of the objective, on the original scale.
    func penalty() -> Double
    /// Remembers the current factors as the best so far.
    func keepBest()
    /// Returns to the factors last kept by `keepBest` (when there are any).
    func restoreBest()
    /// Adds the solver's state, best factors included, to `checkpoint` under names of its own.
    func save(to checkpoint: inout Checkpoint)
    /// Restores what `save` wrote.
    func restore(from checkpoint: Checkpoint) throws
    /// The current factors as a model (W m x k, H k x n, biases), in the problem's indices.
    func model(info: TrainingInfo) -> FactorModel
    /// Whether training starts from an earlier model (`warm_start`) rather than at random:
    /// the start is then scored on validation and kept when no epoch beats it.
    var startsFromModel: Bool { get }
}

extension IterativeSolver {
    public var startsFromModel: Bool { false }
}

/// How an epoch ended.
public enum EpochResult {
    /// It ran to its end, and this is the training squared error on the original scale.
    case measured(Double)
    /// It ran to its end and finished the model — nothing is left to train (the SVD of a
    /// complete matrix); this is the training squared error on the original scale.
    case complete(Double)
    /// It stopped early at a safe point because the run is being cancelled; the solver's
    /// state records where, for `save`.
    case interrupted
}

/// Where a solver runs: its threads, the run's cancellation flag, its checkpoint slot and
/// where progress goes.
public struct SolverEnvironment {
    /// The threads the solver may use.
    public var threads: ThreadGrant
    /// Set when the run is being interrupted.
    public var cancellation: Cancellation
    /// Where checkpoints go, or nil for none.
    public var checkpoint: CheckpointSlot?
    /// Reports progress: (epoch, epochs, what was measured).
    public var progress: (Int, Int, ProgressMeasures) -> Void
    /// Reports a notable event in words (resuming from a checkpoint).
    public var note: (String) -> Void
    /// The `mpirun` job training this model together, or nil for one process.
    public var world: MPIWorld?

    /// An environment with no checkpoints and silent progress, for tests and tools.
    public static func plain(threads: Int = 1, cancellation: Cancellation = Cancellation()) -> SolverEnvironment {
        SolverEnvironment(threads: .fixed(threads), cancellation: cancellation, checkpoint: nil, progress: { _, _, _ in }, note: { _ in })
    }

    /// Creates an environment.
    public init(threads: ThreadGrant, cancellation: Cancellation, checkpoint: CheckpointSlot?,
                progress: @escaping (Int, Int, ProgressMeasures) -> Void, note: @escaping (String) -> Void) {
        self.threads = threads
        self.cancellation = cancellation
        self.checkpoint = checkpoint
        self.progress = progress
        self.note = note
    }
}

extension SolverEnvironment {
    /// Whether the run is being interrupted, agreed by every rank: a signal to one
    /// interrupts all (each then reports the same signal).
    func isCancelled() -> Bool {
        guard let world, world.size > 1 else { return cancellation.isCancelled }
        let signal = world.maximum(Int(cancellation.signal))
        if signal != 0 { cancellation.cancel(signal: Int32(signal)) }
        return signal != 0
    }

    /// `decision` as the leader made it, on every rank.
    func agreed(_ decision: Bool) -> Bool {
        guard let world, world.size > 1 else { return decision }
        return world.leaderValue(decision ? 1 : 0) != 0
    }

    /// `value` as the leader has it, on every rank.
    func agreed(_ value: Double) -> Double {
        guard let world, world.size > 1 else { return value }
        return world.leaderValue(value)
    }
}
