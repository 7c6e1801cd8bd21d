import AttendBasic
import Foundation
import Testing

/// Hostile inputs of each class issue 13 found, through the command line as a user meets
/// them: exit status 1, a first line `FILE:LINE:COL: error: ...` (or `FILE: error:` for a file
/// that is not text at all), nothing a terminal would act on, and no trap.
@Suite struct HostileInputCLITests {
    static func isTerminalSafe(_ text: String) -> Bool {
        !text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) }
    }

    /// Runs `attend arguments` and checks the shape of the failure; returns stderr's first line.
    @discardableResult
    static func refuses(_ arguments: [String], at prefix: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> String {
        let result = try CLI.run(arguments)
        #expect(result.status == 1, "\(arguments): status \(result.status)\n\(result.stderr)", sourceLocation: sourceLocation)
        let first = String(result.stderr.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        #expect(first.hasPrefix(prefix), "\(first)", sourceLocation: sourceLocation)
        #expect(Self.isTerminalSafe(result.stderr + result.stdout), sourceLocation: sourceLocation)
        return first
    }

    static func file(_ name: String, _ bytes: [UInt8]) -> String {
        let path = CLI.folder().appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test func specsThatExhaustOrConfuseTheFrontEndAreLocatedErrors() throws {
        var bomb = "attend: 1\nname: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 { bomb += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n" }
        let aliases = Self.file("bomb.yaml", Array(bomb.utf8))
        try Self.refuses(["check", aliases], at: "\(aliases):4:10: error: YAML aliases are not supported")

        let head = "attend: 1\nname: m\ninputs: {x: [1, ", tail = "]}\n"
        let binary = Self.file("bad.yaml", Array(head.utf8) + [0xC3, 0x28] + Array(tail.utf8))
        try Self.refuses(["check", binary], at: "\(binary):3:17: error: the file is not valid UTF-8 text")

        let imports = Self.file("imports.yaml", Array("attend: 1\nname: m\nimport: [/dev/zero]\ninputs: {x: [1, 2]}\nlayers: [relu]\n".utf8))
        try Self.refuses(["check", imports], at: "\(imports):3:10: error: cannot import '/dev/zero'")

        let repeats = Self.file("repeat.yaml", Array("attend: 1\nname: m\ninputs: {x: [1, 2]}\nlayers:\n  - r: {op: relu, repeat: 1000000000}\n".utf8))
        try Self.refuses(["check", repeats], at: "\(repeats):5:27: error: repeat 1000000000 is more than the limit")

        let escapes = Self.file("esc.yaml", Array("attend: 1\nname: m\ninputs: {x: [1, 2]}\nlayers:\n  - {op: \"re\\e]0;owned\\alu\"}\n".utf8))
        let line = try Self.refuses(["check", escapes], at: "\(escapes):5:")
        #expect(line.contains(#"re\x1b]0;owned\x07lu"#))
    }

    @Test func irTextWithInvalidAttributesOrBytesIsALocatedError() throws {
        let groups = Self.file("g.ir", Array("""
            graph @g {
              input %x : [1, 4, 4, 4]
              param @w : [4, 4, 3, 3] init constant(0.0)
              %0 = conv2d(%x) {out = 4, kernel = [3, 3], pad = [1, 1], groups = 0, bias = false} params(weight = @w) : [1, 4, 4, 4]
              output %0
            }

            """.utf8))
        try Self.refuses(["opt", groups], at: "\(groups):4:")
        let head = "graph @g {\n  input %x : [1]\n", tail = "\n}\n"
        let binary = Self.file("b.ir", Array(head.utf8) + [0xFF, 0xFE] + Array(tail.utf8))
        try Self.refuses(["opt", binary], at: "\(binary):3:1: error: the file is not valid UTF-8 text")
        try Self.refuses(["opt", "/dev/zero"], at: "/dev/zero: error: is not a regular file")
    }

    @Test func bothBackendsRefuseWhatTheCRuntimeCannotHoldUpFront() throws {
        let rank9 = Self.file("r9.yaml", Array("attend: 1\nname: m\ninputs:\n  x: [1, 1, 1, 1, 1, 1, 1, 1, 2]\nlayers: [relu]\n".utf8))
        let expected = "\(rank9):4:6: error: input 'x' has 9 dimensions; model inputs have at most 8"
        #expect(try Self.refuses(["check", rank9], at: expected) == expected)
        #expect(try Self.refuses(["run", rank9, "--backend", "interpreter"], at: expected) == expected)
        #expect(try Self.refuses(["run", rank9, "--backend", "c"], at: expected) == expected)

        let model = Self.file("m.yaml", Array("attend: 1\nname: m\ninputs: {x: [1, 2]}\nlayers: [relu]\n".utf8))
        for backend in ["c", "interpreter"] {
            let line = try Self.refuses(["run", model, "--backend", backend, "--threads", "100000"], at: "--threads: error:")
            #expect(line == "--threads: error: invalid value '100000' for --threads (expected an integer from 1 to 1024)")
        }
    }

    @Test func theCompiledExecutableNamesEveryWeightProblemAsTheInterpreterDoes() throws {
        let folder = CLI.folder()
        let spec = folder.appendingPathComponent("m.yaml").path
        CLI.write("attend: 1\nname: m\ninputs: {x: [1, 4]}\nlayers:\n  - fc: {op: linear, out: 3}\n  - bn: {op: batchnorm}\n", to: URL(fileURLWithPath: spec))
        let weights = folder.appendingPathComponent("w.safetensors").path
        try SafetensorsFile.write([("fc.weight", Tensor(shape: [2, 2], data: [0, 0, 0, 0])), ("extra", Tensor(shape: [1], data: [0]))], to: weights)
        let compiled = try CLI.run(["compile", spec, "-o", folder.appendingPathComponent("out").path])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let executable = try CLI.exec(folder.appendingPathComponent("out/m").path, ["--weights", weights])
        let interpreter = try CLI.run(["run", spec, "--backend", "interpreter", "--weights", weights])
        let words = "error: weights do not match model 'm': missing keys: fc.bias, bn.weight, bn.bias, bn.running_mean, bn.running_var; "
            + "unexpected key: extra; size mismatch for fc.weight: checkpoint has [2, 2], model needs [3, 4]\n"
        #expect(executable.status == 1 && interpreter.status == 1)
        #expect(executable.stderr.hasSuffix(words), "\(executable.stderr)")
        #expect(interpreter.stderr == "\(weights): " + words)
    }

    /// A 4 GiB intermediate under a 3 GB address-space limit: the interpreter reports it as the
    /// C backend does (before, a Swift array allocation aborted the process).
    @Test func anIntermediateLargerThanMemoryIsAnErrorInBothBackends() throws {
        let folder = CLI.folder()
        let spec = folder.appendingPathComponent("big.yaml").path
        CLI.write("attend: 1\nname: big\ninputs:\n  a: [1, 1, 1, 32768]\n  b: [1, 1, 32768, 1]\nlayers:\n  - sum: {op: add, from: [a, b]}\n",
                  to: URL(fileURLWithPath: spec))
        func run(_ backend: String) throws -> CLI.Result {
            try CLI.exec("/bin/sh", ["-c", "ulimit -v 3000000 && exec \"$0\" run \"$1\" --backend \"$2\"", CLI.executable.path, spec, backend],
                         environment: ["ATTEND_CACHE": folder.appendingPathComponent("cache").path])
        }
        let interpreter = try run("interpreter")
        #expect(interpreter.status == 1, "\(interpreter.stderr)")
        #expect(interpreter.stderr == "\(spec):7:5: error: cannot allocate the output of layer 'sum': 8589934592 bytes (Cannot allocate memory)\n")
        let c = try run("c")
        #expect(c.status == 1, "\(c.stderr)")
        #expect(c.stderr == "big: error: out of memory allocating output sum (1073741824 floats)\n")
    }
}
