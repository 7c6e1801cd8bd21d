// The libFuzzer entry points for the Swift targets: each target file defines `fuzzOne` and
// `warmUp`. `warmUp` runs once before fuzzing so that Swift's lazily initialized globals (the
// op registry, Foundation's tables) exist before LeakSanitizer starts counting; they live for
// the whole process and are not leaks.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    warmUp()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    fuzzOne(bytes)
    return 0
}
