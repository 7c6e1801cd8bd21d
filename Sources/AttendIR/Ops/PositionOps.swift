import AttendBasic
import Foundation

/// The fixed 2-D sine position embedding of DETR (Carion et al., ECCV 2020), as its
/// `PositionEmbeddingSine(num_pos_feats, temperature, normalize, scale)` and Hugging Face's
/// `DetrSinePositionEmbedding` compute it for an image without padding (an all-ones pixel
/// mask): a constant `[1, dim, H, W]` that depends only on the feature map's size. The first
/// `dim / 2` channels encode the row, the rest the column; channel `k` of a half is
/// `sin(p / t_k)` for even `k` and `cos(p / t_k)` for odd `k`, with
/// `t_k = temperature ** (2 * (k // 2) / (dim / 2))` and `p` the 1-based position along the
/// axis, or with `normalize` that position over `(extent + eps)` times `scale`.
///
/// An op without inputs or parameters: `fold-constants` turns it into a derived parameter, so
/// compiled models compute it once, when the weights load.
public struct SinePositionEmbeddingOp: Op {
    public init() {}

    public var name: String { "sine_position_embedding" }
    public var summary: String {
        "DETR's fixed 2-D sine position embedding [1, dim, H, W] of an unpadded H x W map, as PositionEmbeddingSine (row half, then column half)"
    }
    public var fusion: FusionKind { .opaque }
    public var arity: Arity { .exactly(0) }

    public var arguments: [ArgSpec] {
        [
            ArgSpec("dim", .int, "output channels, 2 x num_pos_feats; a multiple of 4"),
            ArgSpec("size", .ints(count: 2), "the feature map's [H, W]"),
            ArgSpec("temperature", .float, default: .float(10000), "base of the wavelengths (temperature)"),
            ArgSpec("normalize", .bool, default: .bool(false), "divide positions by the extent (+ eps) and multiply by scale"),
            ArgSpec("scale", .float, default: ArgValue.none, "the normalized range; None means 2 pi; only with normalize"),
            ArgSpec("eps", .float, default: .float(1e-6), "added to the extent when normalizing"),
        ]
    }

    public func outputShapes(inputs: [[Int]], attributes a: Attributes) throws(Diagnostic) -> [[Int]] {
        let dim = a.int("dim"), size = a.ints("size")
        guard dim > 0, dim % 4 == 0 else {
            throw .error("sine_position_embedding dim must be a positive multiple of 4 (sine and cosine pairs for rows and columns), got \(dim)")
        }
        guard size.allSatisfy({ $0 > 0 }) else { throw .error("sine_position_embedding size must be positive, got \(formatShape(size))") }
        let temperature = a.float("temperature")
        guard temperature > 0, temperature.isFinite else {
            throw .error("sine_position_embedding temperature must be positive and finite, got \(formatFloat(temperature))")
        }
        if let scale = a.optionalFloat("scale") {
            guard a.bool("normalize") else { throw .error("sine_position_embedding takes a scale only with normalize: true (as DETR)") }
            guard scale.isFinite else { throw .error("sine_position_embedding scale must be finite, got \(formatFloat(scale))") }
        }
        let eps = a.float("eps")
        guard eps >= 0, eps.isFinite else { throw .error("sine_position_embedding eps must be finite and non-negative, got \(formatFloat(eps))") }
        let shape = [1, dim, size[0], size[1]]
        try ShapeRules.checkSize(shape, "sine_position_embedding output")
        return [shape]
    }

    /// A divide, a sine or cosine and (normalized) a divide and multiply per element.
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes a: Attributes) -> Int {
        (a.bool("normalize") ? 4 : 2) * ShapeRules.elementCount(outputs[0])
    }

    /// The typed arguments every backend reads.
    public struct Geometry: Sendable {
        /// Channels per axis (num_pos_feats).
        public var features: Int
        public var height: Int
        public var width: Int
        public var temperature: Double
        /// The factor a 1-based position is multiplied by: `scale / (extent + eps)` when
        /// normalizing, else 1; per axis.
        public var rowFactor: Double
        public var columnFactor: Double

        public init(_ a: Attributes) {
            let size = a.ints("size")
            features = a.int("dim") / 2
            height = size[0]
            width = size[1]
            temperature = a.float("temperature")
            let normalize = a.bool("normalize"), eps = a.float("eps")
            let scale = a.optionalFloat("scale") ?? 2 * Double.pi
            rowFactor = normalize ? scale / (Double(height) + eps) : 1
            columnFactor = normalize ? scale / (Double(width) + eps) : 1
        }

        /// `t_k`, the wavelength of channel `k` of a half (pairs share one).
        public func wavelength(_ k: Int) -> Double {
            pow(temperature, Double(2 * (k / 2)) / Double(features))
        }
    }
}
