import CCPoolService
import Foundation
import Testing

/// The version has one source, the repository's VERSION file; the generated identity must carry it.
@Suite struct BuildIdentityTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func versionIsTheVersionFile() throws {
        let file = try String(contentsOf: Self.repository.appending(path: "VERSION"), encoding: .utf8)
        #expect(CCPoolVersion.version == file.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func versionTextHasTheFourFacts() {
        let lines = CCPoolVersion.text.split(separator: "\n").map(String.init)
        #expect(lines == [
            "ccpool \(CCPoolVersion.version)", "revision: \(CCPoolVersion.revision)",
            "build date: \(CCPoolVersion.buildDate)", "swift: \(CCPoolVersion.swift)",
        ])
        #expect(CCPoolVersion.swift.hasPrefix("6.") || CCPoolVersion.swift.hasPrefix("7."))
        #expect(!CCPoolVersion.revision.isEmpty && !CCPoolVersion.buildDate.isEmpty)
    }
}
