import Foundation

/// The one epoch loop every iterative solver runs under.
///
/// Per epoch: train, check the objective is finite (else `SolverDivergence` naming the
/// epoch and the setting to change), measure validation RMSE, keep the best epoch's factors
/// and stop `patience` epochs after it (patience 0: no early stopping, the last epoch is
/// kept), stop when the objective's relative change over `toleranceWindow` epochs falls
/// below `tolerance` or when the solver reports its model complete, and write a checkpoint
/// every `checkpointEpochs` epochs or `checkpointSeconds` seconds. On cancellation it writes a checkpoint at the solver's next
/// safe point and throws `Interrupted`. A run that finds an intact checkpoint under its key
/// continues from it and ends with the same bits as one never interrupted. Under `mpirun`
/// every rank runs the loop in step: the leader's clock decides when to checkpoint, and a
/// signal to any rank interrupts them all at the same epoch.
public struct TrainingLoop {
    /// The loop's own settings.
    public struct Settings {
        /// The most epochs.
        public var epochs: Int
        /// Epochs without a better validation RMSE before stopping (0: never stop early).
        public var patience: Int
        /// Relative change of the objective under which training stops (0: never).
        public var tolerance: Double
        /// Epochs between the objectives compared for `tolerance`.
        public var toleranceWindow: Int = 1
        /// Report progress every this many epochs.
        public var progressEvery: Int = 1
        /// Checkpoint every this many epochs (0: by time only).
        public var checkpointEpochs: Int = 0
        /// Checkpoint when this many seconds passed since the last one (0: by epochs only).
        public var checkpointSeconds: Double = 30
        /// What to tell the user to change when the objective diverges.
        public var divergenceAdvice: String
        /// What the loop's epochs are called in its notes ("epoch"; svd: "round").
        public var unit = "epoch"

        /// Whether a checkpoint is due after `epoch` (never after the last one: the
        /// artifact follows at once).
        func checkpointDue(epoch: Int, lastCheckpoint: Date) -> Bool {
            let dueByEpochs = checkpointEpochs > 0 && epoch % checkpointEpochs == 0
            let dueByTime = checkpointSeconds > 0 && Date().timeIntervalSince(lastCheckpoint) >= checkpointSeconds
            return epoch < epochs && (dueByEpochs || dueByTime)
        }

        /// Creates settings; see each property.
        public init(epochs: Int, patience: Int, tolerance: Double, divergenceAdvice: String) {
            self.epochs = epochs
            self.patience = patience
            self.tolerance = tolerance
            self.divergenceAdvice = divergenceAdvice
        }
    }

    /// The settings.
    public let settings: Settings
    /// The algorithm's name, for the model's record.
    public let algorithm: String
    /// The hyper-parameters, for the model's record.
    public let hyperparameters: JSONValue
    /// The seed, for the model's record.
    public let seed: UInt64
    /// Training entries, to turn squared errors into RMSE.
    public let trainCount: Int

    /// Creates a loop.
    public init(settings: Settings, algorithm: String, hyperparameters: JSONValue, seed: UInt64, trainCount: Int) {
        self.settings = settings
        self.algorithm = algorithm
        self.hyperparameters = hyperparameters
        self.seed = seed
        self.trainCount = trainCount
    }

    /// The loop's progress, checkpointed beside the solver's state.
    private struct Progress {
        var epoch = 0
        var curve: [(trainRMSE: Double, validationRMSE: Double)] = []
        var objectives: [Double] = []
        /// The epoch whose factors are kept (0: the warm start, or none yet).
        var bestEpoch = 0
        var bestRMSE = Double.infinity
        /// The warm start's validation RMSE, before any epoch (NaN: a cold start).
        var startRMSE = Double.nan
        var converged = false
        var seconds = 0.0

        func save(to checkpoint: inout Checkpoint) {
            checkpoint.arrays["loop.train_rmse"] = .doubles(curve.map(\.trainRMSE))
            checkpoint.arrays["loop.validation_rmse"] = .doubles(curve.map(\.validationRMSE))
            checkpoint.arrays["loop.objectives"] = .doubles(objectives)
            checkpoint.arrays["loop.state"] = .integers([Int64(epoch), Int64(bestEpoch), converged ? 1 : 0])
            checkpoint.arrays["loop.scalars"] = .doubles([bestRMSE, seconds, startRMSE])
        }

        init() {}

        init(from checkpoint: Checkpoint) throws {
            let train = try checkpoint.doubles("loop.train_rmse")
            curve = zip(train, try checkpoint.doubles("loop.validation_rmse")).map { ($0, $1) }
            objectives = try checkpoint.doubles("loop.objectives")
            let state = try checkpoint.integers("loop.state")
            let scalars = try checkpoint.doubles("loop.scalars")
            guard state.count == 3, scalars.count == 3, curve.count == objectives.count else {
                throw CheckpointError.damaged("inconsistent loop state")
            }
            (epoch, bestEpoch, converged) = (Int(state[0]), Int(state[1]), state[2] != 0)
            (bestRMSE, seconds, startRMSE) = (scalars[0], scalars[1], scalars[2])
        }
    }

    /// Trains `solver` to the end (or to an interruption) and returns its model.
    ///
    /// - Throws: `SolverDivergence`; `Interrupted` after writing a checkpoint.
    public func run(_ solver: IterativeSolver, environment: SolverEnvironment) throws -> FactorModel {
        var progress = Progress()
        if let slot = environment.checkpoint, let checkpoint = slot.load() {
            do {
                let restored = try Progress(from: checkpoint)
                try solver.restore(from: checkpoint)
                progress = restored
                environment.note("resuming from the checkpoint at \(settings.unit) \(progress.epoch) of \(settings.epochs)")
            } catch {
                environment.note("ignoring the checkpoint: \(error)")
            }
        }
        var started = Date()
        var lastCheckpoint = Date()
        func checkpoint() throws {
            guard let slot = environment.checkpoint else { return }
            var state = progress
            state.seconds = environment.agreed(state.seconds + Date().timeIntervalSince(started))
            var file = Checkpoint(key: slot.key, epoch: progress.epoch, epochs: settings.epochs)
            state.save(to: &file)
            solver.save(to: &file)
            try slot.save(file)
            lastCheckpoint = Date()
        }
        let keepsBest = settings.patience > 0
        if progress.epoch == 0 && solver.startsFromModel {
            progress.startRMSE = environment.threads.withThreads { solver.validationRMSE(threads: $0) }
            if keepsBest && progress.startRMSE.isFinite {
                progress.bestRMSE = progress.startRMSE
                solver.keepBest()
            }
        }
        while !progress.converged && progress.epoch < settings.epochs {
            if environment.isCancelled() {
                try checkpoint()
                try environment.cancellation.check()
            }
            let epoch = progress.epoch + 1
            let trained = environment.threads.withThreads { threads in
                solver.trainEpoch(epoch, threads: threads, cancellation: environment.cancellation)
            }
            let squaredError: Double
            var finished = false
            switch trained {
            case .interrupted:
                try checkpoint()
                try environment.cancellation.check()
                continue
            case .measured(let measured):
                squaredError = measured
            case .complete(let measured):
                squaredError = measured
                finished = true
            }
            let trainRMSE = (squaredError / Double(max(trainCount, 1))).squareRoot()
            let validationRMSE = environment.threads.withThreads { solver.validationRMSE(threads: $0) }
            guard trainRMSE.isFinite, validationRMSE.isFinite || validationRMSE.isNaN else {
                throw SolverDivergence(epoch: epoch, unit: settings.unit, advice: settings.divergenceAdvice)
            }
            progress.epoch = epoch
            progress.curve.append((trainRMSE, validationRMSE))
            progress.objectives.append(squaredError + solver.penalty())
            if epoch % settings.progressEvery == 0 || epoch == settings.epochs || finished {
                var measures = ProgressMeasures()
                measures.add("epoch_train_rmse", label: "train RMSE", trainRMSE)
                measures.add("epoch_validation_rmse", label: "validation RMSE", validationRMSE)
                // A model complete early reports its last epoch as the last of all.
                environment.progress(epoch, finished ? epoch : settings.epochs, measures)
            }
            if keepsBest && !validationRMSE.isNaN {
                if validationRMSE < progress.bestRMSE {
                    progress.bestRMSE = validationRMSE
                    progress.bestEpoch = epoch
                    solver.keepBest()
                } else if epoch - progress.bestEpoch >= settings.patience {
                    progress.converged = true
                }
            }
            if finished { progress.converged = true }
            let window = settings.toleranceWindow
            if progress.objectives.count > window {
                let earlier = progress.objectives[progress.objectives.count - 1 - window]
                let current = progress.objectives[progress.objectives.count - 1]
                if current == 0 || abs(earlier - current) <= settings.tolerance * earlier { progress.converged = true }
            }
            if !progress.converged && environment.agreed(settings.checkpointDue(epoch: epoch, lastCheckpoint: lastCheckpoint)) {
                try checkpoint()
            }
        }
        let keptStart = keepsBest && progress.bestEpoch == 0 && progress.bestRMSE.isFinite
        let kept = keepsBest && (progress.bestEpoch > 0 || keptStart) ? progress.bestEpoch : progress.epoch
        if kept != progress.epoch { solver.restoreBest() }
        progress.seconds += Date().timeIntervalSince(started)
        started = Date()
        let info = TrainingInfo(
            algorithm: algorithm, hyperparameters: hyperparameters, seed: seed, iterations: progress.epoch,
            converged: progress.converged, objective: kept > 0 ? progress.objectives[kept - 1] : .nan,
            seconds: progress.seconds, bestIteration: kept, curve: progress.curve, objectives: progress.objectives,
            startValidationRMSE: progress.startRMSE.isNaN ? nil : progress.startRMSE)
        return solver.model(info: info)
    }
}
