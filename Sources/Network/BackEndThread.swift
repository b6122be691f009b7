import Foundation

extension DispatchGroup {
    /// Starts a thread named `name` that runs `body`; the group is left when it returns, so a
    /// back-end's `stop` can wait on the group for all of its threads to end.
    func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
        enter()
        let thread = Thread { [self] in
            body()
            leave()
        }
        thread.name = name
        thread.start()
    }
}
