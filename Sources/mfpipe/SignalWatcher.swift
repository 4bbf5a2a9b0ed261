import Dispatch
import Foundation
import MFPipe

/// Turns SIGINT and SIGTERM into a cancellation that running stages poll, so a run
/// can stop cleanly (artifacts of finished stages kept, lock released) with 130 or 143.
final class SignalWatcher {
    // The sources must stay referenced: released sources silently drop signals.
    private var sources: [DispatchSourceSignal] = []

    /// Starts watching; signals are ignored by default handling while watched.
    init(cancellation: Cancellation) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { cancellation.cancel(signal: number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops watching and restores default handling.
    func stop() {
        for source in sources { source.cancel() }
        sources.removeAll()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
