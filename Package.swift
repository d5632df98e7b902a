// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ccpool",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ccpool", targets: ["ccpool"]),
        // For bench/prometheus (a package of its own), which renders the same series with this renderer.
        .library(name: "MetricsExposition", targets: ["MetricsExposition", "Vocabulary"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // C libraries, each behind a module map and a shim with fixed-arity wrappers.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),

        // How ccpool spells connectivity states, transition scopes, disconnect reasons and health: one set
        // of types shared by the core, the pool, the history and the metrics.
        .target(name: "Vocabulary"),

        // The connection machinery: targets and resolvers, backoff, subchannels, balancers, channels.
        .target(
            name: "CCPoolCore",
            dependencies: [
                "Vocabulary",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The pool: channels sharded by target over event loops, their stats and the snapshots readers take.
        .target(
            name: "ChannelPool",
            dependencies: [
                "CCPoolCore", "Vocabulary",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // glibc's <malloc.h> (malloc_trim), for handing the memory of large finished jobs back to the kernel.
        .systemLibrary(name: "CMalloc"),
        // The service: configuration, the JSON API, the dashboard, replicas, and the wiring of pool, history
        // and HTTP server.
        .target(
            name: "CCPoolService",
            dependencies: [
                "CCPoolCore", "ChannelPool", "Vocabulary", "HTTPServer", "MetricsExposition", "History", "SharedBytes",
                "CMalloc",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["EmbeddedFiles.list", "Dashboard/Assets"],
            plugins: ["BuildIdentity", "EmbedFiles"]
        ),
        // `BuildIdentity` (version from VERSION; revision and date from the release build's .build-identity),
        // generated at build time so the version is written in one place.
        .executableTarget(name: "build-identity", path: "Sources/BuildIdentityTool"),
        .plugin(
            name: "BuildIdentity", capability: .buildTool(), dependencies: ["build-identity"],
            path: "Sources/BuildIdentityPlugin"),
        // `EmbeddedFiles`: the files a target names in its `EmbeddedFiles.list` (such as the top-level
        // `openapi.yaml`) as String constants, generated at build time so the binary cannot drift from them.
        .executableTarget(name: "embed-files", path: "Sources/EmbedFilesTool"),
        .plugin(
            name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"],
            path: "Sources/EmbedFilesPlugin"),
        .executableTarget(
            name: "ccpool",
            dependencies: [
                "CCPoolCore", "ChannelPool", "CCPoolService", "HTTPServer", "History", "Vocabulary",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // Micro-benchmarks of the machinery: picks and the balancer serializer.
        .executableTarget(
            name: "ccpool-bench",
            dependencies: [
                "CCPoolCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            ],
            path: "Sources/CCPoolBench"
        ),
        .testTarget(
            name: "CCPoolCoreTests",
            dependencies: [
                "CCPoolCore", "Vocabulary",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "ChannelPoolTests",
            dependencies: [
                "ChannelPool", "CCPoolCore", "Vocabulary",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            ]
        ),
        .testTarget(name: "VocabularyTests", dependencies: ["Vocabulary"]),
        .testTarget(name: "CSystemLibraryTests", dependencies: ["CSQLite", "CMicroHTTPD"]),
        .testTarget(
            name: "CCPoolServiceTests",
            dependencies: [
                "CCPoolService", "ChannelPool", "CCPoolCore", "HTTPServer", "History", "Vocabulary",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // The HTTP surface: the libmicrohttpd wrapper, the metrics renderer, their tests and benchmark.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // An immutable shared byte buffer: what the renderer produces and the HTTP server sends without copying.
        .target(name: "SharedBytes"),
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD", "SharedBytes"]),
        .target(name: "MetricsExposition", dependencies: ["CZlib", "SharedBytes", "Vocabulary"]),
        .executableTarget(name: "MetricsBenchmark", dependencies: ["MetricsExposition"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "MetricsExposition", "SharedBytes"]),
        .testTarget(
            name: "MetricsExpositionTests", dependencies: ["MetricsExposition", "CZlib", "SharedBytes", "Vocabulary"],
            exclude: ["Golden"]),

        // The state history in SQLite.
        // `History` embeds the top-level `migrations/*.sql` at build time through the `EmbedMigrations`
        // build-tool plugin (run by the `embed-migrations` tool), so the binary cannot drift from them.
        .executableTarget(name: "embed-migrations", path: "Sources/EmbedMigrationsTool"),
        .plugin(
            name: "EmbedMigrations", capability: .buildTool(), dependencies: ["embed-migrations"],
            path: "Sources/EmbedMigrationsPlugin"),
        .target(
            name: "History",
            dependencies: ["CSQLite", "Vocabulary"],
            plugins: ["EmbedMigrations"]
        ),
        // A child process for the crash-safety test, and the ingest benchmark.
        .executableTarget(name: "history-crash-child", dependencies: ["History"], path: "Sources/HistoryCrashChild"),
        .executableTarget(name: "history-bench", dependencies: ["History", "CSQLite", "Vocabulary"], path: "Sources/HistoryBench"),
        .testTarget(name: "HistoryTests", dependencies: ["History", "CSQLite", "Vocabulary"]),
    ],
    swiftLanguageModes: [.v6]
)
