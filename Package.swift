// swift-tools-version: 6.0
// Attend: a compiler for computer-vision attention networks.
// One target per pipeline stage; a stage depends only on the stages before it.
import PackageDescription

let package = Package(
    name: "Attend",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "attend", targets: ["attend"]),
        .library(name: "AttendFrontend", targets: ["AttendFrontend"]),
        .library(name: "AttendInterpreter", targets: ["AttendInterpreter"]),
        .library(name: "AttendOptimizer", targets: ["AttendOptimizer"]),
        .library(name: "AttendPassTesting", targets: ["AttendPassTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // Shared vocabulary: source locations, diagnostics, dense tensors and their file formats.
        .target(name: "AttendBasic"),
        // YAML spec files to a located syntax tree; the expression language.
        .target(name: "AttendSpec", dependencies: ["AttendBasic", .product(name: "Yams", package: "Yams")]),
        // The typed graph IR and the op registry (every primitive op declared once).
        .target(name: "AttendIR", dependencies: ["AttendBasic"]),
        // Elaborates specs (blocks, repeats, shape symbols, parameter names) into IR graphs.
        .target(name: "AttendFrontend", dependencies: ["AttendBasic", "AttendSpec", "AttendIR"]),
        // Graph-to-graph passes (cleanup, folding, fusion, scheduling) and the pass manager.
        .target(name: "AttendOptimizer", dependencies: ["AttendBasic", "AttendIR"]),
        // Plain-Swift reference semantics for every op: the oracle.
        .target(name: "AttendInterpreter", dependencies: ["AttendBasic", "AttendIR"]),
        // The portable C11 runtime every compiled model links (libc, libm, pthreads).
        .target(name: "AttendRuntime", linkerSettings: [.linkedLibrary("m"), .linkedLibrary("pthread")]),
        // Kernel IR, lowering of every op to loop nests, and the C printer.
        .target(name: "AttendCodegen", dependencies: ["AttendBasic", "AttendIR"]),
        // Pass tests as text (FileCheck-style) with a numeric check against the interpreter:
        // the harness Attend's own pass tests use, for users' passes too.
        .target(name: "AttendPassTesting", dependencies: ["AttendBasic", "AttendIR", "AttendOptimizer", "AttendInterpreter"]),
        // Writes IR graphs and their weights as standard ONNX models. The ONNX messages are
        // generated once from onnx.proto (see Generated/regenerate.sh), not by a build plugin.
        .target(name: "AttendExport", dependencies: ["AttendBasic", "AttendIR", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["Generated/regenerate.sh"]),
        // The command line: thin glue over the stages.
        .executableTarget(name: "attend", dependencies: [
            "AttendBasic", "AttendSpec", "AttendIR", "AttendFrontend", "AttendOptimizer", "AttendInterpreter", "AttendCodegen", "AttendExport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "AttendBasicTests", dependencies: ["AttendBasic"]),
        .testTarget(name: "AttendSpecTests", dependencies: ["AttendSpec"]),
        .testTarget(name: "AttendIRTests", dependencies: ["AttendIR"]),
        .testTarget(name: "AttendFrontendTests", dependencies: ["AttendFrontend", "AttendSpec", "AttendIR"]),
        .testTarget(name: "AttendOptimizerTests", dependencies: ["AttendPassTesting", "AttendOptimizer", "AttendInterpreter", "AttendFrontend", "AttendIR"]),
        .testTarget(name: "AttendInterpreterTests", dependencies: ["AttendInterpreter", "AttendFrontend", "AttendSpec", "AttendIR"]),
        .testTarget(name: "AttendCodegenTests", dependencies: ["AttendCodegen", "AttendOptimizer", "AttendInterpreter", "AttendFrontend", "AttendSpec", "AttendIR"]),
        .testTarget(name: "AttendCLITests", dependencies: ["attend"]),
        .testTarget(name: "AttendExportTests", dependencies: ["attend", "AttendExport", "AttendFrontend", "AttendSpec", "AttendIR", "AttendBasic"],
                    exclude: ["onnx_check.py", "Specs"]),
        .testTarget(name: "AttendRuntimeTests", dependencies: ["AttendRuntime", "AttendBasic"]),
    ]
)
