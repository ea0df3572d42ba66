// swift-tools-version:6.0
import PackageDescription

// Strict settings everywhere: Swift 6 language mode is the default for tools 6.0;
// ExistentialAny makes every existential visible at the use site.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "OpsIQ",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "opsiq-web", targets: ["WebApp"]),
        .executable(name: "opsiq-worker", targets: ["WorkerApp"]),
        .executable(name: "opsiq-admin", targets: ["AdminCLI"]),
        .executable(name: "opsiq-bench", targets: ["Bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // System libraries from Debian's -dev packages (see Makefile: DEB_PACKAGES).
        .systemLibrary(name: "CMariaDB", path: "Sources/CMariaDB", pkgConfig: "libmariadb",
                       providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CGeoIP", path: "Sources/CGeoIP", pkgConfig: "geoip",
                       providers: [.apt(["libgeoip-dev"])]),
        .systemLibrary(name: "CArgon2", path: "Sources/CArgon2", pkgConfig: "libargon2",
                       providers: [.apt(["libargon2-dev"])]),

        // Protocols and the values that cross them. No I/O, no third-party imports.
        .target(name: "Ports", swiftSettings: strict),
        // The rules. Depends on Ports only (enforced here).
        .target(name: "Domain", dependencies: ["Ports"], swiftSettings: strict),
        // Implementations of the ports: SQL drivers, HTTP, GeoIP, crypto, clock.
        .target(name: "Adapters", dependencies: [
            "Ports", "CMariaDB", "CSQLite", "CCurl", "CGeoIP", "CArgon2",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // The one composition root: configuration, adapter choice, services.
        .target(name: "Composition", dependencies: [
            "Ports", "Domain", "Adapters",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),

        .executableTarget(name: "WebApp", dependencies: [
            "Composition", "Ports", "Domain",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Assets"], swiftSettings: strict),
        .executableTarget(name: "WorkerApp", dependencies: [
            "Composition",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .executableTarget(name: "AdminCLI", dependencies: [
            "Composition", "Ports", "Domain",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .executableTarget(name: "Bench", dependencies: [
            "Composition", "Ports", "Domain", "Adapters",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "bench/Sources/Bench", swiftSettings: strict),

        // Fast in-process tests (fakes of ports, router tests).
        .testTarget(name: "UnitTests", dependencies: [
            "Ports", "Domain", "Adapters", "Composition", "WebApp",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], path: "Tests/UnitTests", swiftSettings: strict),
        // Real engines: the storage contract suite over SQLite and MariaDB, jobs, outbox, faults, CLI.
        .testTarget(name: "IntegrationTests", dependencies: [
            "Ports", "Domain", "Adapters", "Composition", "WebApp",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], path: "IntegrationTests", exclude: ["browser", "Support/smtp_server.py", "Support/http_receiver.py", "Support/verifiers"], swiftSettings: strict),
    ]
)
