import Foundation
import InstructionSpec

// Rewrites the engine's generated files from the instruction descriptions. Run from the package
// root: `swift run generate-engine`. Prints each file it changed.
let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
var changed = 0
for file in EngineGenerator.files() {
    let url = root.appendingPathComponent(file.path)
    let old = try? String(contentsOf: url, encoding: .utf8)
    guard old != file.contents else { continue }
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try file.contents.write(to: url, atomically: true, encoding: .utf8)
    print("wrote \(file.path)")
    changed += 1
}
for region in EngineGenerator.regions() {
    let url = root.appendingPathComponent(region.path)
    let old = try String(contentsOf: url, encoding: .utf8)
    guard let new = EngineGenerator.replacingRegion(region.name, in: old, with: region.contents) else {
        print("error: \(region.path) has no region \"\(region.name)\"")
        exit(1)
    }
    guard new != old else { continue }
    try new.write(to: url, atomically: true, encoding: .utf8)
    print("wrote region \(region.name) of \(region.path)")
    changed += 1
}
print(changed == 0 ? "generated files are up to date" : "\(changed) file(s) written")
