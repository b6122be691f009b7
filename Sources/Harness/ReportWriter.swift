import Foundation

/// Why a report could not be written.
public enum ReportWriteError: Error, CustomStringConvertible, Equatable {
    case unwritable(path: String, reason: String)
    case encoding(String)

    public var description: String {
        switch self {
        case .unwritable(let path, let reason): return "cannot write results to \(path): \(reason)"
        case .encoding(let reason): return "cannot encode the report: \(reason)"
        }
    }
}

/// Writes `results/<run-id>/` (report.json, report.md, the SVG charts; or any set of files,
/// as `virtbench bench` does) and, when publishing, replaces the published folder
/// (`results/latest/` by default).
///
/// Everything is written into a hidden temporary folder beside the destination and renamed
/// into place at the end, so a crash, a full disk or an unwritable folder never leaves a
/// half-written report where readers (or `latest`) would find it.
public struct ReportWriter {
    public let resultsDirectory: URL
    /// The folder `publish` replaces, inside `resultsDirectory`.
    public let publishedName: String

    public init(resultsDirectory: URL, publishedName: String = ReportWriter.latestName) {
        self.resultsDirectory = resultsDirectory
        self.publishedName = publishedName
    }

    /// Name of the comparison report's published folder.
    public static let latestName = "latest"

    /// Checks up front that reports can be written, so a long comparison does not run only to
    /// fail at the end: creates the results folder if needed and a probe folder in it.
    public func checkWritable() throws(ReportWriteError) {
        let probe = try makeTemporaryDirectory(purpose: "probe")
        try? FileManager.default.removeItem(at: probe)
    }

    /// Writes the report and returns the run's folder.
    @discardableResult
    public func write(_ report: ComparisonReport, publish: Bool) throws(ReportWriteError) -> URL {
        try write(files: Self.files(for: report), runID: report.runID, publish: publish)
    }

    /// Writes `files` (name → contents) as the folder `<runID>` and optionally publishes it.
    @discardableResult
    public func write(files: [(String, Data)], runID: String, publish: Bool) throws(ReportWriteError) -> URL {
        let staging = try makeTemporaryDirectory(purpose: runID)
        var destination = resultsDirectory.appendingPathComponent(runID, isDirectory: true)
        do {
            for (name, data) in files {
                try data.write(to: staging.appendingPathComponent(name))
            }
            // Two runs started in the same second get distinct folders rather than one overwriting the other.
            var suffix = 2
            while FileManager.default.fileExists(atPath: destination.path) {
                destination = resultsDirectory.appendingPathComponent("\(runID)-\(suffix)", isDirectory: true)
                suffix += 1
            }
            try FileManager.default.moveItem(at: staging, to: destination)
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw .unwritable(path: destination.path, reason: Self.reason(creating: destination, error))
        }
        if publish { try self.publish(from: destination) }
        return destination
    }

    /// The files of a report folder: name → contents.
    public static func files(for report: ComparisonReport) throws(ReportWriteError) -> [(String, Data)] {
        let charts = ReportCharts.render(report)
        let json: Data
        do { json = try report.jsonData() } catch { throw .encoding("\(error)") }
        let markdown = ReportMarkdown.render(report, chartFiles: charts.map(\.file))
        return [("report.json", json), ("report.md", Data(markdown.utf8))] + charts.map { ($0.file, Data($0.svg.utf8)) }
    }

    /// Copies a finished run folder to the published folder: copy to a temporary folder, then
    /// swap, so the published folder always holds one complete report. Nothing of the folder it
    /// replaces stays: a file beside the old report described another run (another commit or
    /// host, perhaps), and a published folder shows one run only.
    func publish(from runFolder: URL) throws(ReportWriteError) {
        let latest = resultsDirectory.appendingPathComponent(publishedName, isDirectory: true)
        let fm = FileManager.default
        let staging = resultsDirectory.appendingPathComponent(".incomplete-\(publishedName)-\(UUID().uuidString)", isDirectory: true)
        let retired = resultsDirectory.appendingPathComponent(".retired-\(publishedName)-\(UUID().uuidString)", isDirectory: true)
        do {
            try fm.copyItem(at: runFolder, to: staging)
            if fm.fileExists(atPath: latest.path) { try fm.moveItem(at: latest, to: retired) }
            do { try fm.moveItem(at: staging, to: latest) } catch {
                // Put the old report back rather than leave no `latest` at all.
                if fm.fileExists(atPath: retired.path) { try? fm.moveItem(at: retired, to: latest) }
                throw error
            }
            try? fm.removeItem(at: retired)
        } catch {
            try? fm.removeItem(at: staging)
            throw .unwritable(path: latest.path, reason: error.localizedDescription)
        }
    }

    private func makeTemporaryDirectory(purpose: String) throws(ReportWriteError) -> URL {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: resultsDirectory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw .unwritable(path: resultsDirectory.path, reason: "it exists and is not a folder")
        }
        let folder = resultsDirectory.appendingPathComponent(".incomplete-\(purpose)-\(UUID().uuidString)", isDirectory: true)
        do {
            try fm.createDirectory(at: resultsDirectory, withIntermediateDirectories: true)
            try fm.createDirectory(at: folder, withIntermediateDirectories: false)
        } catch {
            throw .unwritable(path: resultsDirectory.path, reason: Self.reason(creating: folder, error))
        }
        return folder
    }

    /// The plain reason a folder cannot be created: Foundation's own message for this is
    /// often just "the operation could not be completed".
    static func reason(creating folder: URL, _ error: any Error) -> String {
        let fm = FileManager.default
        var ancestor = folder.standardizedFileURL
        while !fm.fileExists(atPath: ancestor.path) {
            let parent = ancestor.deletingLastPathComponent()
            if parent.path == ancestor.path { break }
            ancestor = parent
        }
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) {
            if !isDirectory.boolValue { return "\(ancestor.path) is a file, not a folder" }
            if !fm.isWritableFile(atPath: ancestor.path) { return "\(ancestor.path) is not writable (permission denied)" }
        }
        return error.localizedDescription
    }
}
