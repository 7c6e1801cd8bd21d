import AttendBasic

/// Swift tensor readers: the input as a whole safetensors file (every tensor read as float32)
/// and as an .npy file. Errors are expected; traps, leaks and hangs are what the fuzzer finds.
func fuzzOne(_ bytes: [UInt8]) {
    if let file = try? SafetensorsFile.decode(bytes, source: "fuzz.safetensors") {
        for entry in file.entries { _ = try? file.tensor(named: entry.name) }
    }
    _ = try? NPY.decode(bytes, source: "fuzz.npy")
    if let error = (Result { () throws(Diagnostic) in try SafetensorsFile.decode(bytes, source: "f") }).failure {
        precondition(!error.description.contains("\n") && error.description.count <= Limits.messageCharacters + 3)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let error) = self { error } else { nil } }
}

func warmUp() {
    fuzzOne(Array("{}".utf8))
    _ = try? SafetensorsFile.decode(SafetensorsFile.encode([("w", Tensor(shape: [2], data: [1, 2]))]), source: "warm")
    _ = try? NPY.decode(NPY.encode(Tensor(shape: [2], data: [1, 2])), source: "warm")
}
