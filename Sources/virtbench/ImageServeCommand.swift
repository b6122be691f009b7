import ArgumentParser
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Storage

extension ImageCommand {
    /// `virtbench image serve`: qemu-nbd's export of one image over NBD, with its option
    /// spellings and defaults (all addresses, port 10809, export name "", one client at a time,
    /// exit when the last client leaves unless --persistent). The image is opened with its
    /// format and backing chain and locked as qemu-nbd locks it; clients see its guest view.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Export an image over NBD, as qemu-nbd does: serve [-f FMT] [-r] [-b HOST] [-p PORT | -k PATH] [-x NAME] [-t] [-e N] FILE",
            discussion: """
                Clients connect with nbd://HOST:PORT/NAME or nbd+unix:///NAME?socket=PATH (QEMU's spellings; \
                `-drive file=nbd://...` in virtbench run, or qemu-img and qemu-io). Prints "listening on ADDRESS" \
                on stderr once it accepts connections (with -p 0, the port the system chose). SIGINT and SIGTERM \
                close the connections, flush the image and exit 0. Fixed-newstyle NBD with simple replies: \
                NBD_OPT_GO, _INFO, _EXPORT_NAME, _LIST and _ABORT; READ, WRITE (with FUA), FLUSH, TRIM, \
                WRITE_ZEROES and DISC; requests of at most 32 MiB.
                """)
        @Option(name: [.customShort("f"), .customLong("format")], help: "Image format: raw or qcow2 (probed when absent).") var format: String?
        @Flag(name: [.customShort("r"), .customLong("read-only")], help: "Export read-only: writes, trims and write-zeroes get EPERM.") var readOnly = false
        @Option(name: [.customShort("b"), .customLong("bind")], help: "Address to listen on (default 0.0.0.0, all IPv4 addresses, as qemu-nbd).") var bind: String?
        @Option(name: [.customShort("p"), .customLong("port")], help: "TCP port (default 10809; 0 takes any free port).") var port: Int?
        @Option(name: [.customShort("k"), .customLong("socket")], help: "Listen on a Unix socket at PATH instead of TCP.") var socket: String?
        @Option(name: [.customShort("x"), .customLong("export-name")], help: "The export's name (default \"\").") var exportName = ""
        @Flag(name: [.customShort("t"), .customLong("persistent")], help: "Keep serving after the last client leaves.") var persistent = false
        @Option(name: [.customShort("e"), .customLong("shared")], help: "Clients served at once (default 1; 0: no limit).") var shared = 1
        @Argument(help: "The image to export.") var file: String

        func validate() throws {
            if socket != nil && (port != nil || bind != nil) { throw CommandError("-k/--socket cannot be combined with -p/--port or -b/--bind") }
            if let port, !(0...65535).contains(port) { throw CommandError("-p \(port): Invalid port (0 to 65535)") }
            if shared < 0 { throw CommandError("-e \(shared): the number of clients must be 0 (no limit) or more") }
            if exportName.utf8.count > 4096 { throw CommandError("-x: an export name is at most 4096 bytes") }
        }

        /// Opens the image and the listening socket.
        private func open(format given: ImageFormat?, log: @escaping @Sendable (String) -> Void) throws(StorageError) -> (NBDServer, NBDListener) {
            let opened = try ImageOpener.open(file, options: ImageOpenOptions(readOnly: readOnly, format: given))
            if opened.probedRaw {
                printError("virtbench: warning: Image format was not specified for '\(file)' and probing guessed raw; "
                           + "write operations on block 0 will be restricted (give -f raw to remove the restriction)")
            }
            let server = NBDServer(driver: opened.driver, exportName: exportName, readOnly: readOnly, log: log)
            if let socket { return (server, try NBDListener.unix(path: socket)) }
            return (server, try NBDListener.tcp(host: bind ?? "0.0.0.0", port: UInt16(port ?? Int(NBDProtocol.defaultPort))))
        }

        func run() throws {
            let given = try ImageCommand.format(format, "-f")
            let log: @Sendable (String) -> Void = { printError("virtbench: image serve: " + $0) }
            let opened: (NBDServer, NBDListener)
            do {
                opened = try open(format: given, log: log)
            } catch {
                throw ImageCommand.storage(error)
            }
            let (server, listener) = opened
            // Signals become a stop request on a dispatch queue, not an exit in the middle of a write.
            var sources: [any DispatchSourceSignal] = []
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { server.stop() }
                source.resume()
                sources.append(source)
            }
            let access = server.readOnly ? "read-only" : "read-write"
            printError("virtbench: image serve: export '\(exportName)' of \(file) (\(server.driver.virtualSize) bytes, \(server.driver.formatName), \(access)) listening on \(listener.address)")
            do {
                try server.run(listener: listener, maximumClients: shared, persistent: persistent)
            } catch {
                throw CommandError("flush of '\(file)' after serving failed: \(error.description)")
            }
            for source in sources { source.cancel() }
        }
    }
}
