import GDBStub
import Testing

/// `-gdb` device strings as QEMU spells them, and the loopback default.
@Suite("GDB endpoint")
struct EndpointTests {
    @Test func tcpEndpointsParse() throws {
        #expect(try GDBEndpoint.parse("tcp::1234") == GDBEndpoint(host: "127.0.0.1", port: 1234))
        #expect(try GDBEndpoint.parse("tcp:0.0.0.0:4321") == GDBEndpoint(host: "0.0.0.0", port: 4321))
        #expect(try GDBEndpoint.parse("tcp:localhost:0") == GDBEndpoint(host: "localhost", port: 0))
        #expect(try GDBEndpoint.parse("tcp:[::1]:1234") == GDBEndpoint(host: "::1", port: 1234))
        #expect(try GDBEndpoint.parse("none") == nil)
        #expect(GDBEndpoint(host: "::1", port: 1234).description == "[::1]:1234")
    }

    @Test func anythingElseIsRefusedWithTheReason() {
        for (spec, reason) in [("udp::1234", "only tcp"), ("1234", "only tcp"), ("tcp:1234", "port is missing"),
                               ("tcp::", "not a TCP port"), ("tcp::65536", "not a TCP port"), ("tcp::12a", "not a TCP port"),
                               ("tcp::١٢", "not a TCP port")] {
            #expect(throws: GDBServerError.self, "\(spec)") { try GDBEndpoint.parse(spec) }
            do {
                _ = try GDBEndpoint.parse(spec)
            } catch {
                #expect(error.description.contains(reason), "\(spec): \(error)")
            }
        }
    }

    @Test func aServerOnPortZeroGetsARealPort() throws {
        let server = try GDBServer(endpoint: GDBEndpoint(port: 0))
        #expect(server.port != 0)
        // The port is taken now: a second server on it cannot listen.
        #expect(throws: GDBServerError.self) { try GDBServer(endpoint: GDBEndpoint(port: server.port)) }
    }
}
