// swift-tools-version:6.0
// The /metrics render comparison of `make bench` (bench/parts/55-prometheus.sh): ccpool's MetricsExposition
// renderer against swift-prometheus's `PrometheusCollectorRegistry.emit(into:)` on the same series, in one
// process. A package of its own so that the service's build and CI never fetch or build swift-prometheus.
import Foundation
import PackageDescription

// The root package (../..) is named by its directory's name, which is whatever the clone is called.
let rootDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../..").standardizedFileURL
let rootIdentity = rootDirectory.lastPathComponent.lowercased()

let package = Package(
    name: "ccpool-prometheus-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "PrometheusEmitBench",
            dependencies: [
                .product(name: "MetricsExposition", package: rootIdentity),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
