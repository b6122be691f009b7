/// What `virtbench --version` (and `virtbench run -version`, QEMU's spelling) prints, in the
/// style of QEMU's first line ("QEMU emulator version 7.2.22 (...)").
///
/// The number lives here, in the source, rather than coming from git at build time: SwiftPM has
/// no step that could stamp it without a plugin, and a tarball or a CI clone at a merge commit
/// would have no tag to describe. Raise it when a change alters what a run does or prints.
enum VirtBenchVersion {
    static let number = "0.2.0"
    /// The board and the QEMU release whose behaviour it follows.
    static let line = "virtbench version \(number) (RISC-V virt board as in QEMU 7.2)"
}
