// swift-tools-version:6.0
// Same-run references for the scale benchmarks (bench/parts/20-scale.sh, bench/parts/22-single-address.sh):
//   grpc-swift2-clients  N grpc-swift-2 clients (GRPCClient over HTTP2ClientTransport.Posix, round_robin)
//   nio-h2-floor         N bare SwiftNIO + NIOHTTP2 client connections, handshake only: the floor
// Its own package so that the service's build and CI never resolve or build grpc-swift-2.
import PackageDescription

let package = Package(
    name: "ccpool-bench-peers",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.96.0"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.42.0"),
    ],
    targets: [
        .executableTarget(
            name: "grpc-swift2-clients",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            ]
        ),
        .executableTarget(
            name: "nio-h2-floor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            ]
        ),
    ]
)
