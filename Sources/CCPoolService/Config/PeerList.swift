import Foundation

/// The `peers` setting: where every replica of a sharded pool answers HTTP, so that any replica can
/// answer for the whole pool (forwarding one-target requests to their owner, fanning lists out).
///
/// Written either as a comma-separated list of base URLs, one per replica in index order
/// (`http://10.0.0.1:9090,http://10.0.0.2:9090,http://10.0.0.3:9090`), or as one URL template with
/// `{i}` standing for the replica index, expanded for i in 0..<shard_count
/// (`http://ccpool-{i}.ccpool-headless:9090`: a StatefulSet's stable names). A base URL is
/// `http://host:port` (or `https://`), without path, query or credentials: requests are sent to the
/// same paths the caller asked for.
public struct PeerList: Hashable, Sendable, CustomStringConvertible {
    public enum Form: Hashable, Sendable {
        case list([String])
        case template(String)
    }

    public var form: Form

    public init(_ form: Form) { self.form = form }

    /// The text as it would be written in the configuration.
    public var description: String {
        switch form {
        case .list(let urls): urls.joined(separator: ",")
        case .template(let template): template
        }
    }

    /// Parses the setting's text; the error says what is wrong with which part.
    public static func parse(_ text: String) throws(PeerListError) -> PeerList {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw PeerListError("expected base URLs separated by commas, or a template with {i}; got an empty string") }
        if trimmed.contains("{") || trimmed.contains("}") {
            guard !trimmed.contains(",") else {
                throw PeerListError("\"\(trimmed)\": write either a list of URLs or one template with {i}, not both")
            }
            let placeholders = trimmed.components(separatedBy: "{i}").count - 1
            guard placeholders >= 1 else {
                throw PeerListError("\"\(trimmed)\": the only placeholder a template may hold is {i} (the replica index)")
            }
            let sample = trimmed.replacingOccurrences(of: "{i}", with: "0")
            guard !sample.contains("{") && !sample.contains("}") else {
                throw PeerListError("\"\(trimmed)\": the only placeholder a template may hold is {i} (the replica index)")
            }
            try checkBaseURL(sample, shownAs: trimmed)
            return PeerList(.template(trimmed))
        }
        let urls = trimmed.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(in: .whitespaces)
        }
        for (index, url) in urls.enumerated() {
            guard !url.isEmpty else { throw PeerListError("entry \(index) of the list is empty") }
            try checkBaseURL(url, shownAs: url)
        }
        return PeerList(.list(urls.map(normalized)))
    }

    /// The base URL of each replica, index by index, for `count` replicas.
    public func urls(count: Int) throws(PeerListError) -> [String] {
        switch form {
        case .list(let urls):
            guard urls.count == count else {
                throw PeerListError(
                    "lists \(urls.count) replica URL\(urls.count == 1 ? "" : "s") but shard_count is \(count); give one per replica, in index order")
            }
            return urls
        case .template(let template):
            return (0..<count).map { normalized(template.replacingOccurrences(of: "{i}", with: String($0))) }
        }
    }

    private func normalized(_ url: String) -> String { Self.normalized(url) }

    private static func normalized(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// `http(s)://host:port` and nothing else (a trailing `/` is allowed).
    private static func checkBaseURL(_ url: String, shownAs shown: String) throws(PeerListError) {
        let scheme: String
        if url.hasPrefix("http://") { scheme = "http://" }
        else if url.hasPrefix("https://") { scheme = "https://" }
        else { throw PeerListError("\"\(shown)\" must start with http:// or https://") }
        var authority = Substring(url.dropFirst(scheme.count))
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.isEmpty else { throw PeerListError("\"\(shown)\" has no host") }
        if authority.contains("/") || authority.contains("?") || authority.contains("#") {
            throw PeerListError("\"\(shown)\" must be a base URL (scheme, host and port) without a path, query or fragment")
        }
        if authority.contains("@") { throw PeerListError("\"\(shown)\" must not carry credentials") }
        do {
            _ = try ListenAddress.parse(String(authority))
        } catch {
            throw PeerListError("\"\(shown)\": \(error.message)")
        }
    }
}

public struct PeerListError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
