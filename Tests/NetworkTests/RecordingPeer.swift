import Synchronization
@testable import Network

/// A front-end that records every frame sent to it (what a back-end delivers to the guest).
final class RecordingPeer: NetworkPeer {
    let frames = Mutex<[EthernetFrame]>([])
    func receive(_ frame: EthernetFrame) -> Bool {
        frames.withLock { $0.append(frame) }
        return true
    }
    var count: Int { frames.withLock { $0.count } }
}
