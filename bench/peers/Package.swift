// swift-tools-version:6.0
// The same-run reference for the subchannel-scale benchmark (bench/parts/20-scale.sh): N grpc-swift-2
// clients (GRPCClient over HTTP2ClientTransport.Posix, round_robin). Its own package so that the
// service's build and CI never resolve or build grpc-swift-2.
import PackageDescription

let package = Package(
    name: "ccpool-bench-peers",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
    ],
    targets: [
        .executableTarget(
            name: "grpc-swift2-clients",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            ]
        )
    ]
)
