/// This binary's identity, as `ccpool --version`, `ccpool version` and `ccpool_build_info` report it.
///
/// The version comes from the package's `VERSION` file and the revision and build date from the release
/// build, both through the generated ``BuildIdentity``; the Swift version is the compiler's that built it.
public enum CCPoolVersion {
    public static let version = BuildIdentity.version
    /// The git commit the release build was made from, or "unknown".
    public static let revision = BuildIdentity.revision
    /// When the release build ran (RFC 3339, UTC), or "unknown".
    public static let buildDate = BuildIdentity.buildDate
    /// The compiler's version, to the patch level.
    public static let swift = compilerVersion

    /// The lines `ccpool --version` prints.
    public static var text: String {
        """
        ccpool \(version)
        revision: \(revision)
        build date: \(buildDate)
        swift: \(swift)
        """
    }
}

/// `#if compiler(…)` is the only way the compiler's own version reaches the code it compiles.
private let compilerVersion: String = {
    #if compiler(>=7.0)
    return "7.x"
    #elseif compiler(>=6.4)
    return "6.4"
    #elseif compiler(>=6.3.3)
    return "6.3.3"
    #elseif compiler(>=6.3.2)
    return "6.3.2"
    #elseif compiler(>=6.3.1)
    return "6.3.1"
    #elseif compiler(>=6.3)
    return "6.3"
    #elseif compiler(>=6.2.3)
    return "6.2.3"
    #elseif compiler(>=6.2.2)
    return "6.2.2"
    #elseif compiler(>=6.2.1)
    return "6.2.1"
    #elseif compiler(>=6.2)
    return "6.2"
    #elseif compiler(>=6.1)
    return "6.1"
    #else
    return "6.0"
    #endif
}()
