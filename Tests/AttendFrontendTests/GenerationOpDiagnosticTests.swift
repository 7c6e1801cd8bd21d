import Testing

/// Hostile arguments of prelu and conv_transpose2d: PyTorch's own checks, at the layer.
extension DiagnosticTests {
    @Test func convTransposeOutputPaddingNeedsAStrideOrDilationStep() {
        expectError(header + "  - up: {op: conv_transpose2d, out: 4, kernel: 3, stride: 2, output_padding: 2}\n", at: "up",
                    "output_padding [2, 2] must be smaller than either stride [2, 2] or dilation [1, 1]")
    }

    @Test func convTransposeOutputTooSmall() {
        expectError(header + "  - up: {op: conv_transpose2d, out: 4, kernel: 1, pad: 3}\n", at: "up", "output size is too small")
    }

    @Test func convTransposeSpectralNormIsABool() {
        expectError(header + "  - up: {op: conv_transpose2d, out: 4, kernel: 3, spectral_norm: 2}\n", at: "2}", "expected bool")
    }

    @Test func preluSlopesMustMatchTheChannels() {
        expectError(header + "  - act: {op: prelu, num_parameters: 3}\n", at: "act", "num_parameters=3 must be 1 or the channel count 8")
    }
}
