// embed-migrations OUTPUT.swift MIGRATIONS_DIRECTORY
//
// Turns the numbered SQL files of `migrations/` into a Swift source file for the `History` module:
// `EmbeddedMigrations.all`, one entry per file with its version, name, exact text and the lowercase hex
// SHA-256 of the file's bytes. Run by the `EmbedMigrations` build-tool plugin on every build, so the binary
// always carries exactly the files in `migrations/`. Fails the build on a badly named or duplicate file.
//
// No dependencies: SHA-256 (FIPS 180-4) is implemented below.
import Foundation

struct SHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hex(_ input: [UInt8]) -> String {
        var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        var message = input
        let bitLength = UInt64(input.count) &* 8
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for i in (0..<8).reversed() { message.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        var w = [UInt32](repeating: 0, count: 64)
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for chunk in stride(from: 0, to: message.count, by: 64) {
            for t in 0..<16 {
                let b = chunk + t * 4
                w[t] = UInt32(message[b]) << 24 | UInt32(message[b + 1]) << 16 | UInt32(message[b + 2]) << 8 | UInt32(message[b + 3])
            }
            for t in 16..<64 {
                let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for t in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[t] &+ w[t]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            h[0] = h[0] &+ a; h[1] = h[1] &+ b; h[2] = h[2] &+ c; h[3] = h[3] &+ d
            h[4] = h[4] &+ e; h[5] = h[5] &+ f; h[6] = h[6] &+ g; h[7] = h[7] &+ hh
        }
        return h.map { word in
            let s = String(word, radix: 16)
            return String(repeating: "0", count: 8 - s.count) + s
        }.joined()
    }
}

/// A Swift string literal that reproduces `text` exactly (escapes quotes, backslashes and control characters).
func swiftLiteral(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("embed-migrations: error: \(message)\n".utf8))
    exit(1)
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 2, let output = arguments.first, let directory = arguments.last else {
    fail("usage: embed-migrations OUTPUT.swift MIGRATIONS_DIRECTORY")
}
let sqlFiles: [String]
do {
    sqlFiles = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }.sorted()
        .map { directory + "/" + $0 }
} catch { fail("cannot list \(directory): \(error)") }

struct Entry { var version: Int; var name: String; var sql: String; var checksum: String; var file: String }
var entries: [Entry] = []
for path in sqlFiles {
    let file = (path as NSString).lastPathComponent
    // NNNN_name.sql: four or more digits, an underscore, a name of [a-z0-9_].
    let stem = file.hasSuffix(".sql") ? String(file.dropLast(4)) : ""
    guard let underscore = stem.firstIndex(of: "_"),
          let version = Int(stem[..<underscore]), version > 0,
          stem[..<underscore].count >= 4,
          stem[stem.index(after: underscore)...].allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }),
          stem.index(after: underscore) < stem.endIndex
    else { fail("\(path): migration files must be named NNNN_name.sql (lowercase name)") }
    guard let data = FileManager.default.contents(atPath: path) else { fail("\(path): cannot read") }
    guard let sql = String(data: data, encoding: .utf8) else { fail("\(path): not UTF-8") }
    entries.append(Entry(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql,
                         checksum: SHA256.hex([UInt8](data)), file: file))
}
entries.sort { $0.version < $1.version }
for (index, entry) in entries.enumerated() where entry.version != index + 1 {
    fail("\(entry.file): versions must be 1, 2, 3, ... without gaps or duplicates (expected \(index + 1))")
}

var source = """
// Generated by embed-migrations from migrations/*.sql at build time. Do not edit.

extension EmbeddedMigrations {
    /// Every migration of `migrations/`, in version order.
    public static let all: [Migration] = [

"""
for entry in entries {
    source += """
        Migration(
            version: \(entry.version),
            name: \(swiftLiteral(entry.name)),
            checksum: \(swiftLiteral(entry.checksum)),
            sql: \(swiftLiteral(entry.sql))
        ),

"""
}
source += "    ]\n}\n"

let existing = FileManager.default.contents(atPath: output)
if existing != Data(source.utf8) {
    do { try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) }
    catch { fail("cannot write \(output): \(error)") }
}
