#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Signal policy shared by the tools.
/// - SIGPIPE is ignored so a closed downstream pipe surfaces as EPIPE, which the tool turns into a quiet
///   exit instead of a crash report.
/// - SIGINT/SIGTERM/SIGHUP either remove the temp files of unfinished outputs and exit (short tools), or
///   just raise a flag that a long run polls to checkpoint and stop cleanly (what Slurm's SIGTERM at a
///   time limit needs).
public enum Signals {
    public enum InterruptPolicy { case cleanupAndExit, setFlag }

    private static let capacity = 64
    // Plain C memory: a signal handler may only touch memory that needs no Swift runtime initialisation.
    private static let tempPaths: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        slots.initialize(repeating: nil, count: capacity)
        return slots
    }()
    private static let interruptRaised: UnsafeMutablePointer<sig_atomic_t> = {
        let flag = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        flag.initialize(to: 0)
        return flag
    }()
    private static let lock = NSLock()

    /// Installs the policy; call once at tool start.
    public static func install(_ policy: InterruptPolicy) {
        // Touch the lazily initialised globals now, never for the first time inside a handler.
        _ = tempPaths
        interruptRaised.pointee = 0
        signal(SIGPIPE, SIG_IGN)
        // A blocked mask survives exec (Foundation's Process, some launchers): a blocked SIGTERM would
        // never reach us, and a scheduler would SIGKILL the job later with no checkpoint written.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&stopSignals, sig) }
        sigprocmask(SIG_UNBLOCK, &stopSignals, nil)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            switch policy {
            case .cleanupAndExit: signal(sig, cleanupHandler)
            case .setFlag: signal(sig, flagHandler)
            }
        }
    }

    /// True once SIGINT/SIGTERM/SIGHUP arrived under the `.setFlag` policy.
    public static var interrupted: Bool { interruptRaised.pointee != 0 }

    static func registerTemp(_ path: String) {
        lock.lock(); defer { lock.unlock() }
        for i in 0..<capacity where tempPaths[i] == nil {
            tempPaths[i] = strdup(path)
            return
        }
    }

    static func unregisterTemp(_ path: String) {
        lock.lock(); defer { lock.unlock() }
        for i in 0..<capacity {
            if let p = tempPaths[i], String(cString: p) == path {
                tempPaths[i] = nil
                free(p)
            }
        }
    }

    /// Removes every registered temp file; used before any abnormal exit.
    public static func removeTemps() {
        for i in 0..<capacity {
            if let p = tempPaths[i] { unlink(p) }
        }
    }

    /// Ends the process the way a classic Unix filter does when its reader went away.
    public static func exitForBrokenPipe() -> Never {
        removeTemps()
        signal(SIGPIPE, SIG_DFL)
        raise(SIGPIPE)
        exit(141)
    }
}

private let cleanupHandler: @convention(c) (Int32) -> Void = { sig in
    Signals.removeTemps()
    signal(sig, SIG_DFL)
    raise(sig)
}

private let flagHandler: @convention(c) (Int32) -> Void = { _ in
    Signals.markInterrupted()
}

extension Signals {
    fileprivate static func markInterrupted() { interruptRaised.pointee = 1 }
}
