import Foundation

/// A Markdown file of the repository's `docs/` folder, found from this source file's own path (so the
/// tests read the checkout they were built from), and the tables in it.
struct ReferenceDocument {
    let path: String
    let text: String

    /// `docs/<name>` at the root of the repository that holds this file (`Tests/CCPoolServiceTests/Docs/`).
    init(_ name: String, filePath: String = #filePath) throws {
        let root = URL(fileURLWithPath: filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        path = root.appendingPathComponent("docs").appendingPathComponent(name).path
        text = try String(contentsOfFile: path, encoding: .utf8)
    }

    /// The rows of the first table whose header row starts with `columns`, each a dictionary from column
    /// name to cell text with backticks removed. Empty when no such table exists.
    func table(startingWith columns: [String]) -> [[String: String]] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let headerIndex = lines.firstIndex(where: { Self.cells($0).starts(with: columns) }) else { return [] }
        let header = Self.cells(lines[headerIndex])
        var rows: [[String: String]] = []
        for line in lines[(headerIndex + 2)...] {
            guard line.hasPrefix("|") else { break }
            let cells = Self.cells(line)
            var row: [String: String] = [:]
            for (name, cell) in zip(header, cells) { row[name] = cell }
            rows.append(row)
        }
        return rows
    }

    /// The cells of a table row, trimmed, without backticks; empty for a line that is not a row.
    static func cells(_ line: String) -> [String] {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("|"), trimmed.hasSuffix("|"), trimmed.count > 1 else { return [] }
        return trimmed.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "`", with: "").trimmingCharacters(in: .whitespaces)
        }
    }

    /// A comma-separated list cell as a set; `—` or empty means none.
    static func list(_ cell: String?) -> Set<String> {
        guard let cell, cell != "—", !cell.isEmpty else { return [] }
        return Set(cell.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }
}
