/// The two places where Python's float results depend on exact, not floating-point,
/// arithmetic: `int / int` (correctly rounded) and `round(x, ndigits)` (decided on the
/// exact decimal value of `x`, so `round(2.675, 2) == 2.67`).

extension ExprOps {
    /// `a / b` correctly rounded, as Python's `int.__truediv__`; `b != 0`.
    static func trueQuotient(_ a: Int, _ b: Int) -> Double {
        let negative = (a < 0) != (b < 0)
        let n = UInt64(a.magnitude), d = UInt64(b.magnitude)
        if n == 0 { return negative ? -0.0 : 0.0 }
        // Scale n by 2**k so that the quotient q = n * 2**k / d lies in [2**62, 2**64): then the
        // quotient fits one word, and folding a nonzero remainder into its lowest bit (a
        // sticky bit, far below the 53 bits kept) makes the conversion to Double round exactly
        // as the true quotient would.
        let bitsN = UInt64.bitWidth - n.leadingZeroBitCount
        let bitsD = UInt64.bitWidth - d.leadingZeroBitCount
        let k = 63 - bitsN + bitsD // 0...126
        let high: UInt64, low: UInt64
        if k >= 64 {
            (high, low) = (n << UInt64(k - 64), 0)
        } else if k == 0 {
            (high, low) = (0, n)
        } else {
            (high, low) = (n >> UInt64(64 - k), n << UInt64(k))
        }
        let (quotient, remainder) = d.dividingFullWidth((high: high, low: low))
        let magnitude = Double(sign: .plus, exponent: -k, significand: Double(quotient | (remainder == 0 ? 0 : 1)))
        return negative ? -magnitude : magnitude
    }

    /// Python's `round(x, ndigits)` for a float: the exact value of `x` rounded half-to-even
    /// at the given decimal place, then converted back to the nearest float.
    /// Returns nil when the rounded value is too large for a float.
    static func roundToDecimalPlaces(_ x: Double, _ ndigits: Int) -> Double? {
        // CPython's bounds: beyond them the answer is x itself or a signed zero.
        if !x.isFinite || ndigits > 323 { return x }
        if ndigits < -308 { return 0.0 * x }
        if x == 0 { return x }
        let (digits, scale) = exactDecimal(x.magnitude) // |x| = digits * 10**-scale
        let dropped = scale - ndigits // how many trailing digits to round away
        if dropped <= 0 { return x } // x has no digits beyond the requested place
        var kept: [UInt8]
        if dropped > digits.count {
            kept = [] // |x| < 10**-ndigits / 10: rounds to zero
        } else {
            kept = Array(digits[..<(digits.count - dropped)])
            let first = digits[digits.count - dropped]
            let rest = digits[(digits.count - dropped + 1)...]
            let roundsUp: Bool
            if first != 5 {
                roundsUp = first > 5
            } else if rest.contains(where: { $0 != 0 }) {
                roundsUp = true
            } else {
                roundsUp = (kept.last ?? 0) % 2 == 1 // a tie: to even
            }
            if roundsUp { increment(&kept) }
        }
        let text = (kept.isEmpty ? "0" : String(decoding: kept.map { $0 + 0x30 }, as: UTF8.self)) + "e\(-ndigits)"
        guard let magnitude = Double(text), magnitude.isFinite else { return nil }
        return x < 0 ? -magnitude : magnitude
    }

    private static func increment(_ digits: inout [UInt8]) {
        var index = digits.count - 1
        while index >= 0 {
            if digits[index] < 9 {
                digits[index] += 1
                return
            }
            digits[index] = 0
            index -= 1
        }
        digits.insert(1, at: 0)
    }

    /// The exact decimal expansion of a finite positive double: most significant digit first,
    /// no leading zeros, value `digits * 10**-scale`.
    private static func exactDecimal(_ x: Double) -> (digits: [UInt8], scale: Int) {
        // x = significand * 2**exponent with an integer significand.
        let significand: UInt64, exponent: Int
        if x.exponentBitPattern == 0 {
            (significand, exponent) = (x.significandBitPattern, -1074)
        } else {
            (significand, exponent) = (x.significandBitPattern | (1 << 52), Int(x.exponentBitPattern) - 1075)
        }
        var number = BigNatural(significand)
        var scale = 0
        if exponent >= 0 {
            var remaining = exponent
            while remaining > 0 {
                let step = min(remaining, 31)
                number.multiply(by: 1 << UInt32(step))
                remaining -= step
            }
        } else {
            // m / 2**e == m * 5**e / 10**e
            scale = -exponent
            var remaining = scale
            while remaining > 0 {
                let step = min(remaining, 13) // 5**13 < 2**32
                var factor: UInt32 = 1
                for _ in 0..<step { factor *= 5 }
                number.multiply(by: factor)
                remaining -= step
            }
        }
        return (number.decimalDigits(), scale)
    }
}

/// Just enough of an arbitrary-precision natural number for `exactDecimal`.
private struct BigNatural {
    /// Little-endian 32-bit limbs.
    var limbs: [UInt32]

    init(_ value: UInt64) {
        limbs = [UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32)]
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for index in limbs.indices {
            let product = UInt64(limbs[index]) * UInt64(factor) + carry
            limbs[index] = UInt32(truncatingIfNeeded: product)
            carry = product >> 32
        }
        if carry != 0 { limbs.append(UInt32(carry)) }
    }

    /// Divides in place, returning the remainder.
    mutating func divide(by divisor: UInt32) -> UInt32 {
        var remainder: UInt64 = 0
        for index in limbs.indices.reversed() {
            let current = remainder << 32 | UInt64(limbs[index])
            limbs[index] = UInt32(current / UInt64(divisor))
            remainder = current % UInt64(divisor)
        }
        while limbs.last == 0 { limbs.removeLast() }
        return UInt32(remainder)
    }

    mutating func decimalDigits() -> [UInt8] {
        var chunks: [UInt32] = [] // base 10**9, least significant first
        while !limbs.isEmpty { chunks.append(divide(by: 1_000_000_000)) }
        var digits: [UInt8] = []
        for chunk in chunks.reversed() {
            var value = chunk
            var group = [UInt8](repeating: 0, count: 9)
            for position in stride(from: 8, through: 0, by: -1) {
                group[position] = UInt8(value % 10)
                value /= 10
            }
            digits += group
        }
        let firstNonzero = digits.firstIndex(where: { $0 != 0 }) ?? digits.count
        return Array(digits[firstNonzero...])
    }
}
