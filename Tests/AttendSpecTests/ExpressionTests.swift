import AttendBasic
import AttendSpec
import Foundation
import Testing

// The expression language must give exactly Python 3's results. Every expected value in
// `PythonResults` below is `repr(eval(expression))` printed by CPython 3.11 (with `true`/
// `false`, `floor`/`ceil`/`log2`/`sqrt` from math and timm's `make_divisible` in scope),
// hard-coded; `ExprValue.description` is Python's repr, so comparing the two checks the
// type (int 2 vs float 2.0 vs True) as well as the value.

private let here = SourceLocation(file: "spec.yaml", line: 3, column: 10)

/// The variables the `scope` rows (and the evaluation-error rows) see; the same dictionary
/// was the Python globals.
private let scope: [String: ExprValue] = [
    "C": .int(96), "ratio": .float(0.25), "heads": .int(3), "use_bias": .bool(true), "act": .string("gelu"),
    "dims": .list([.int(64), .int(128), .int(320), .int(512)]), "nothing": .none, "empty": .list([]),
]

private func evaluate(_ text: String) throws(Diagnostic) -> ExprValue {
    try Expression.parse(text, at: here).evaluate(in: scope)
}

/// The diagnostic `text` produces when parsed and evaluated, or nil when it succeeds.
private func failure(_ text: String) -> Diagnostic? {
    do {
        _ = try evaluate(text)
        return nil
    } catch {
        return error
    }
}

private func expectPython(_ expression: String, _ python: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    do {
        let value = try evaluate(expression)
        #expect(value.description == python, "\(expression)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(expression) failed: \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct PythonValues {
    @Test(arguments: PythonResults.precedence) func precedenceAndAssociativity(_ expression: String, _ python: String) {
        expectPython(expression, python)
    }

    @Test(arguments: PythonResults.division) func divisionAndModulo(_ expression: String, _ python: String) {
        expectPython(expression, python)
    }

    @Test(arguments: PythonResults.power) func power(_ expression: String, _ python: String) {
        expectPython(expression, python)
    }

    @Test(arguments: PythonResults.comparisons) func comparisons(_ expression: String, _ python: String) {
        expectPython(expression, python)
    }

    @Test(arguments: PythonResults.logic) func conditionalsAndShortCircuit(_ expression: String, _ python: String) {
        expectPython(expression, python)
    }

    @Test(arguments: PythonResults.bools) func boolsAreInts(_ expression: String, _ python: String) {
        expectPython(expression, python)
    }

    @Test(arguments: PythonResults.literals) func literals(_ expression: String, _ python: String) {
        expectPython(expression, python)
    }

    @Test(arguments: PythonResults.functions) func functions(_ expression: String, _ python: String) {
        expectPython(expression, python)
    }

    @Test(arguments: PythonResults.make_divisible) func makeDivisible(_ expression: String, _ python: String) {
        expectPython(expression, python)
    }

    @Test(arguments: PythonResults.scope) func names(_ expression: String, _ python: String) {
        expectPython(expression, python)
    }
}

@Suite struct ExpressionValues {
    @Test func valuesHaveThePythonType() throws {
        #expect(try evaluate("7 / 7") == .float(1))
        #expect(try evaluate("7 // 7") == .int(1))
        #expect(try evaluate("True + 1") == .int(2))
        #expect(try evaluate("2 ** -1") == .float(0.5))
        #expect(try evaluate("-2 ** 2") == .int(-4))
        #expect(try evaluate("1 < 2 < 3") == .bool(true))
        #expect(try evaluate("0 or nothing") == .none)
        #expect(try evaluate("[1, 'a', [None]]") == .list([.int(1), .string("a"), .list([.none])]))
    }

    @Test func roundIsBankersRounding() throws {
        #expect(try evaluate("round(2.5)") == .int(2))
        #expect(try evaluate("round(3.5)") == .int(4))
        #expect(try evaluate("round(-0.5)") == .int(0))
        #expect(try evaluate("round(-2.5)") == .int(-2))
        #expect(try evaluate("round(2.675, 2)") == .float(2.67)) // 2.675 is 2.67499999... in binary
        #expect(try evaluate("round(0.125, 2)") == .float(0.12))
    }

    @Test func makeDivisibleMatchesTimm() throws {
        #expect(try evaluate("make_divisible(64 * 0.0625, 8, round_limit=0)") == .int(8))
        #expect(try evaluate("make_divisible(24 * 0.25)") == .int(8))
        #expect(try evaluate("make_divisible(100 * 0.25, 8)") == .int(24))
        #expect(try evaluate("make_divisible(35)") == .int(32))
        #expect(try evaluate("make_divisible(10, 4, min_value=16)") == .int(16))
        #expect(try evaluate("make_divisible(12.3, 4.0)") == .float(12))
    }

    @Test func keywordArgumentsBindByName() throws {
        #expect(try evaluate("make_divisible(round_limit=1, v=9)") == evaluate("make_divisible(9, 8, None, 1)"))
        #expect(try evaluate("round(ndigits=1, number=2.25)") == .float(2.2))
        #expect(try evaluate("make_divisible(C * ratio, divisor=16,)") == .int(32))
    }

    @Test func scopeValuesAreRead() throws {
        let expression = try Expression.parse("width * 2 + offset", at: here)
        #expect(try expression.evaluate(in: ["width": .int(10), "offset": .float(0.5)]) == .float(20.5))
        #expect(try expression.evaluate(in: ["width": .float(1), "offset": .bool(true)]) == .float(3))
    }

    @Test func shortCircuitSkipsErrors() throws {
        #expect(try evaluate("0 and 1 / 0") == .int(0))
        #expect(try evaluate("missing if False else 1") == .int(1))
        #expect(try evaluate("1 > 2 > missing") == .bool(false))
        #expect(try evaluate("1 or missing") == .int(1))
    }

    @Test func namesAreTheFreeVariables() throws {
        let expression = try Expression.parse(
            "make_divisible(C * ratio, divisor=D) + len(dims) if flag and not off else other - max(1, 2)", at: here)
        #expect(expression.names == ["C", "ratio", "D", "dims", "flag", "off", "other"])
        #expect(try Expression.parse("True + true + None + 1.5 + 'x'", at: here).names.isEmpty)
        #expect(try Expression.parse("[a, [b]] == c < a", at: here).names == ["a", "b", "c"])
    }

    @Test func descriptions() throws {
        #expect(try Expression.parse("C  //  2", at: here).description == "C  //  2")
        #expect(ExprValue.float(1).description == "1.0")
        #expect(ExprValue.float(0.25).description == "0.25")
        #expect(ExprValue.float(1e-5).description == "1e-05")
        #expect(ExprValue.float(-.nan).description == "nan")
        #expect(ExprValue.list([.int(1), .string("a"), .none, .bool(false)]).description == "[1, 'a', None, False]")
        #expect(ExprValue.string("it's").description == "\"it's\"")
        #expect(ExprValue.string("a'\"\\\n").description == "'a\\'\"\\\\\\n'")
    }
}

@Suite struct ExpressionErrors {
    @Test func messagesQuoteTheExpressionAndPointAtTheToken() throws {
        let parse = try #require(failure("C * * 2"))
        #expect(parse.message == "bad expression 'C * * 2': unexpected '*'")
        #expect(parse.location == SourceLocation(file: "spec.yaml", line: 3, column: 14))
        let evaluation = try #require(failure("C * D"))
        #expect(evaluation.message == "cannot evaluate 'C * D': unknown name 'D' (did you mean 'C'?)")
        #expect(evaluation.location == SourceLocation(file: "spec.yaml", line: 3, column: 14))
    }

    /// (expression, part of the message, offset of the token the diagnostic points at)
    static let syntaxErrors: [(String, String, Int)] = [
        ("", "bad expression '': empty expression", 0),
        ("   ", "empty expression", 0),
        ("(1 + 2", "'(' was never closed", 0),
        ("1 + 2)", "unmatched ')'", 5),
        ("1 2", "unexpected '2'", 2),
        ("1 +", "unexpected end of expression", 3),
        ("1 if 2 else", "unexpected end of expression", 11),
        ("(1]", "closing ']' does not match opening '('", 2),
        ("[1, 2", "'[' was never closed", 0),
        ("[1, 2 3]", "unexpected '3' (expected ',' or ']')", 6),
        ("max(1", "'(' was never closed", 3),
        ("max(1 2)", "unexpected '2' (expected ',' or ')')", 6),
        ("1 if 2", "expected 'else' after 'if' expression", 6),
        ("1 if 2 3", "unexpected '3' (expected 'else')", 7),
        ("a = 1", "unexpected '=' (use '==' to compare)", 2),
        ("1 +* 2", "unexpected '*'", 3),
        ("max(1)(2)", "unexpected '('", 6),
        ("(1, 2)", "unexpected ',' (expected ')')", 2),
        ("1.5.2", "unexpected '.2'", 3),
        ("01", "leading zeros in decimal integer literals are not permitted", 0),
        ("x + 1_", "invalid number literal '1_'", 4),
        ("1__0", "invalid number literal '1__0'", 0),
        ("1j", "invalid number literal '1j'", 0),
        ("0x", "invalid hexadecimal literal '0x'", 0),
        ("0b102", "invalid binary literal '0b102'", 0),
        ("9223372036854775808", "integer literal '9223372036854775808' is too large", 0),
        ("'abc", "unterminated string", 0),
        ("'a\\d'", "unsupported escape sequence '\\d'", 2),
        ("2 * $x", "unexpected character '$'", 4),
        ("'e\u{301}' + * 1", "unexpected '*'", 7), // columns count Unicode scalars
        ("x in y", "'in' is not supported in expressions", 2),
        ("1 + lambda", "'lambda' is not supported in expressions", 4),
        ("mx(1, 2)", "unknown function 'mx' (did you mean 'max'?)", 0),
        ("C + make_divisible(8, divsor=4)", "make_divisible() got an unexpected keyword argument 'divsor' (did you mean 'divisor'?)", 22),
        ("abs(1, 2)", "abs() takes exactly 1 argument (2 given)", 0),
        ("round(1, 2, 3)", "round() takes at most 2 arguments (3 given)", 0),
        ("floor(x=1)", "floor() takes no keyword arguments", 6),
        ("make_divisible(divisor=4)", "make_divisible() missing required argument 'v'", 0),
        ("round(2.5, number=1)", "round() got multiple values for argument 'number'", 11),
        ("max()", "max() expected at least 1 argument, got 0", 0),
        ("min(1, key=2)", "min() got an unexpected keyword argument 'key'", 7),
        ("max(a=1, 2)", "positional argument follows keyword argument", 9),
        ("round(ndigits=1, ndigits=2)", "keyword argument repeated: 'ndigits'", 17),
    ]

    @Test(arguments: syntaxErrors) func syntaxError(_ expression: String, _ message: String, _ offset: Int) throws {
        // Syntax errors are found by `parse`, before any evaluation.
        var diagnostic: Diagnostic?
        do {
            _ = try Expression.parse(expression, at: here)
        } catch {
            diagnostic = error
        }
        let error = try #require(diagnostic, "\(expression) parsed")
        #expect(error.message.hasPrefix("bad expression '\(expression)': "))
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.location == here.advanced(by: offset), "\(expression)")
    }

    static let evaluationErrors: [(String, String, Int)] = [
        ("hedas + 1", "unknown name 'hedas' (did you mean 'heads'?)", 0),
        ("1 if not_there else 2", "unknown name 'not_there'", 5),
        ("1 / 0", "division by zero in 1 / 0", 2),
        ("C // (heads - 3)", "division by zero in 96 // 0", 2),
        ("1 % 0", "division by zero", 2),
        ("1.0 / 0.0", "division by zero", 4),
        ("1.5 // 0", "division by zero", 4),
        ("5 % 0.0", "division by zero", 2),
        ("0 ** -1", "zero cannot be raised to a negative power", 2),
        ("None + 1", "unsupported operand type(s) for +: 'NoneType' and 'int'", 5),
        ("[1] + [2]", "unsupported operand type(s) for +: 'list' and 'list'", 4),
        ("act * 3", "unsupported operand type(s) for *: 'str' and 'int'", 4),
        ("dims + 1", "'list' and 'int'", 5),
        ("C and 1 + None", "'int' and 'NoneType'", 8),
        ("-nothing", "bad operand type for unary -: 'NoneType'", 0),
        ("1 < 'a'", "'<' not supported between instances of 'int' and 'str'", 2),
        ("1 < 2 < None", "'<' not supported between instances of 'int' and 'NoneType'", 6),
        ("[1] < [None]", "'<' not supported between instances of 'int' and 'NoneType'", 4),
        ("10.0 ** 400", "float overflow in 10.0 ** 400", 5),
        ("(-8) ** (1/3)", "complex", 5),
        ("log2(0)", "math domain error", 0),
        ("1 + sqrt(C - 100)", "math domain error", 4),
        ("len(C)", "object of type 'int' has no len()", 0),
        ("min(empty)", "min() arg is an empty sequence", 0),
        ("max(5)", "'int' object is not iterable", 0),
        ("round(2.5, 1.5)", "'float' object cannot be interpreted as an integer", 0),
        ("make_divisible(30, 0)", "division by zero", 0),
        ("int(nothing)", "int() argument must be a real number, not 'NoneType'", 0),
        ("float(dims)", "float() argument must be a real number, not 'list'", 0),
        ("abs(act)", "bad operand type for abs(): 'str'", 0),
        ("floor(1e400)", "cannot convert float infinity to integer", 0),
        ("int(1e400 - 1e400)", "cannot convert float NaN to integer", 0),
        ("round(1e400)", "cannot convert float infinity to integer", 0),
        ("int('5')", "int() of a string is not supported", 0),
    ]

    @Test(arguments: evaluationErrors) func evaluationError(_ expression: String, _ message: String, _ offset: Int) throws {
        let error = try #require(failure(expression), "\(expression) evaluated")
        #expect(error.message.hasPrefix("cannot evaluate '\(expression)': "))
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.location == here.advanced(by: offset), "\(expression)")
    }

    /// Python would give a big integer; 64-bit integers report overflow instead of trapping.
    static let overflows: [(String, String, Int)] = [
        ("9223372036854775807 + 1", "integer overflow in 9223372036854775807 + 1", 20),
        ("-9223372036854775807 - 2", "integer overflow in -9223372036854775807 - 2", 21),
        ("4611686018427387904 * 2", "integer overflow in 4611686018427387904 * 2", 20),
        ("2 ** 63", "integer overflow in 2 ** 63", 2),
        ("3 ** 40", "integer overflow in 3 ** 40", 2),
        ("10 ** 100", "integer overflow in 10 ** 100", 3),
        ("(-2) ** 64", "integer overflow in (-2) ** 64", 5),
        ("2 ** 9223372036854775807", "integer overflow", 2),
        ("-(-9223372036854775807 - 1)", "integer overflow in -(-9223372036854775808)", 0),
        ("(-9223372036854775807 - 1) // -1", "integer overflow in -9223372036854775808 // -1", 27),
        ("abs(-9223372036854775807 - 1)", "integer overflow in abs(-9223372036854775808)", 0),
        ("int(1e19)", "integer overflow in int(1e+19)", 0),
        ("round(1e19)", "integer overflow in round(1e+19)", 0),
        ("floor(-1e19)", "integer overflow in floor(-1e+19)", 0),
        ("round(5000000000000001000, -19)", "integer overflow in round(5000000000000001000, -19)", 0),
        ("make_divisible(9223372036854775807)", "integer overflow", 0),
        ("round(1.7976931348623157e308, -308)", "rounded value too large to represent", 0),
    ]

    @Test(arguments: overflows) func overflowIsAnError(_ expression: String, _ message: String, _ offset: Int) throws {
        let error = try #require(failure(expression), "\(expression) evaluated")
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.location == here.advanced(by: offset), "\(expression)")
    }

    @Test func largestValuesDoNotOverflow() throws {
        #expect(try evaluate("9223372036854775806 + 1") == .int(Int.max))
        #expect(try evaluate("(-2) ** 63") == .int(Int.min))
        #expect(try evaluate("-9223372036854775807 - 1") == .int(Int.min))
        #expect(try evaluate("3037000499 ** 2") == .int(9_223_372_030_926_249_001))
        #expect(try evaluate("(-9223372036854775807 - 1) % -1") == .int(0))
    }
}

/// Hostile nesting must end in a diagnostic, not a stack overflow: the parser stops at 100
/// levels, and everything up to that limit must fit a small (512 KiB, as on Darwin's
/// concurrency threads) stack even in a debug build.
@Suite struct DeepNesting {
    static func repeated(_ open: String, _ count: Int, _ middle: String, _ close: String = "") -> String {
        String(repeating: open, count: count) + middle + String(repeating: close, count: count)
    }

    static let tooDeep: [String] = [
        repeated("(", 10_000, "1", ")"),
        repeated("(", 10_000, ""),
        repeated("-", 10_000, "1"),
        repeated("not ", 10_000, "x"),
        repeated("2 ** ", 10_000, "2"),
        repeated("[", 10_000, "", "]"),
        repeated("max(", 10_000, "1", ")"),
        repeated("1 if 1 else ", 10_000, "1"),
        repeated("1 + (", 10_000, "1", ")"),
        repeated("(", 101, "1", ")"),
    ]

    /// The deepest accepted nesting of each kind, and the value it has.
    static let deepest: [(String, String)] = [
        (repeated("(", 99, "1", ")"), "1"),
        (repeated("-", 99, "1"), "-1"),
        (repeated("not ", 99, "x"), "False"),
        (repeated("1 ** ", 99, "2"), "1"),
        (repeated("[", 99, "", "]"), repeated("[", 99, "", "]")),
        (repeated("max(0, ", 98, "1", ")"), "1"),
        (repeated("round(ndigits=0, number=", 98, "1.5", ")"), "2.0"),
        (repeated("1 if 0 else ", 99, "7"), "7"),
        (repeated("1 if (", 98, "1", ") else 0"), "1"),
        (repeated("1 + (", 98, "1", ")"), "99"),
        (repeated("1 < (", 98, "1", ")"), "False"),
        (repeated("0 or (", 98, "1", ")"), "1"),
        ("1" + String(repeating: " + 1", count: 10_000), "10001"), // a run is one level, however long
        ("x" + String(repeating: " and x", count: 10_000), "1"),
        ("1" + String(repeating: " < 2", count: 10_000), "False"),
    ]

    /// Parses and evaluates each text on a thread with a 512 KiB stack; the results'
    /// descriptions, or the error messages.
    static func onSmallStack(_ texts: [String]) async -> [String] {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var results: [String] = []
                for text in texts {
                    do throws(Diagnostic) {
                        results.append(try Expression.parse(text, at: here).evaluate(in: ["x": .int(1)]).description)
                    } catch {
                        results.append(error.message)
                    }
                }
                continuation.resume(returning: results)
            }
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    @Test func tooDeepIsADiagnostic() async {
        let messages = await DeepNesting.onSmallStack(DeepNesting.tooDeep)
        #expect(messages.count == DeepNesting.tooDeep.count)
        for message in messages {
            #expect(message.contains("expression is nested too deeply (more than 100 levels)"), "\(message.suffix(80))")
        }
    }

    @Test func deepestAcceptedNestingFitsASmallStack() async {
        let results = await DeepNesting.onSmallStack(DeepNesting.deepest.map(\.0))
        #expect(results == DeepNesting.deepest.map(\.1))
    }

    @Test func tooDeepPointsAtTheTokenPastTheLimit() throws {
        let error = try #require(failure(DeepNesting.repeated("(", 101, "1", ")")))
        #expect(error.location == here.advanced(by: 100))
    }
}

/// `repr(eval(expression))` from CPython 3.11; see the top of this file.
enum PythonResults {
    static let precedence: [(String, String)] = [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),
        ("100 / 10 / 5", "2.0"),
        ("2 ** 3 ** 2", "512"),
        ("-2 ** 2", "-4"),
        ("2 ** -1", "0.5"),
        ("(-2) ** 2", "4"),
        ("-2 ** -2", "-0.25"),
        ("2 ** -2 ** 2", "0.0625"),
        ("- - 3", "3"),
        ("-+-3", "3"),
        ("2 * 3 ** 2", "18"),
        ("-3 ** 2 * 2", "-18"),
        ("2 * 3 % 4", "2"),
        ("7 // 2 * 2", "6"),
        ("17 % 5 * 3", "6"),
        ("1 + 2 < 4 - 0", "True"),
        ("not 1 == 2", "True"),
        ("not 0 and 1", "1"),
        ("1 or 0 and 0", "1"),
        ("0 or 0 and 1", "0"),
        ("not 1 or 1", "1"),
        ("1 if 0 else 2 if 0 else 3", "3"),
        ("1 + 2 if 0 else 3 * 4", "12"),
        ("(1 if 1 else 2) + 10", "11"),
        ("1 if 1 else 2 + 10", "1"),
        ("8 - 2 - 1 - 1", "4"),
        ("64 / 4 / 2", "8.0"),
        ("2 ** 2 ** 3", "256"),
        ("-(2 ** 2)", "-4"),
        ("(-2) ** 3", "-8"),
        ("not not 5", "True"),
        ("- 2 * - 3", "6"),
    ]
    static let division: [(String, String)] = [
        ("7 // 2", "3"),
        ("-7 // 2", "-4"),
        ("7 // -2", "-4"),
        ("-7 // -2", "3"),
        ("7 % 3", "1"),
        ("-7 % 3", "2"),
        ("7 % -3", "-2"),
        ("-7 % -3", "-1"),
        ("0 % 5", "0"),
        ("0 // -5", "0"),
        ("7.5 // 2", "3.0"),
        ("-7.5 // 2", "-4.0"),
        ("7.5 % 2", "1.5"),
        ("-7.5 % 2", "0.5"),
        ("7.5 % -2", "-0.5"),
        ("-0.0 % 5", "0.0"),
        ("0.0 % -5", "-0.0"),
        ("5 % -0.5", "-0.0"),
        ("1 // 0.1", "9.0"),
        ("1 % 0.1", "0.09999999999999995"),
        ("-1 // 0.1", "-10.0"),
        ("7 // 2.0", "3.0"),
        ("0.0 // -1", "-0.0"),
        ("-0.0 // 1", "-0.0"),
        ("True // 2", "0"),
        ("True % 2", "1"),
        ("9 / 3", "3.0"),
        ("1 / 3", "0.3333333333333333"),
        ("0 / -5", "-0.0"),
        ("-1 / 3", "-0.3333333333333333"),
        ("-9223372036854775807 / 3", "-3.0744573456182584e+18"),
        ("9007199254740993 / 1", "9007199254740992.0"),
        ("9007199254740995 / 1", "9007199254740996.0"),
        ("9223372036854775807 / 9223372036854775806", "1.0"),
        ("1 / 9223372036854775807", "1.0842021724855044e-19"),
        ("(-9223372036854775807 - 1) / -1", "9.223372036854776e+18"),
        ("(-9223372036854775807 - 1) % -1", "0"),
        ("(-9223372036854775807 - 1) // 1", "-9223372036854775808"),
        ("6004799503160661 / 6004799503160662", "0.9999999999999999"),
        ("1e300 // 1e-300", "inf"),
        ("-5 // 1e300", "-1.0"),
        ("5.0 % 1e300", "5.0"),
        ("-5.0 % 1e300", "1e+300"),
        ("2.5 % 0.5", "0.0"),
        ("10 // 3 * 3 + 10 % 3", "10"),
        ("-10 // 3 * 3 + -10 % 3", "-10"),
    ]
    static let power: [(String, String)] = [
        ("2 ** 10", "1024"),
        ("2 ** 0.5", "1.4142135623730951"),
        ("4 ** 0.5", "2.0"),
        ("0 ** 0", "1"),
        ("0.0 ** 0", "1.0"),
        ("(-8) ** 2.0", "64.0"),
        ("(-2) ** 3", "-8"),
        ("(-2) ** -3", "-0.125"),
        ("2 ** 62", "4611686018427387904"),
        ("(-2) ** 63", "-9223372036854775808"),
        ("10 ** 18", "1000000000000000000"),
        ("1.5 ** 2", "2.25"),
        ("(-1) ** 1000001", "-1"),
        ("(-1.0) ** 1e300", "1.0"),
        ("2.0 ** -1074", "5e-324"),
        ("10 ** -2", "0.01"),
        ("True ** 2", "1"),
        ("0 ** 5", "0"),
        ("0.0 ** 3", "0.0"),
        ("(-0.0) ** 3", "-0.0"),
        ("(-0.0) ** 2", "0.0"),
        ("1 ** 1e400", "1.0"),
        ("2 ** -1e400", "0.0"),
        ("0.5 ** 1e400", "0.0"),
        ("(-1e400) ** 3", "-inf"),
        ("(-1e400) ** -3", "-0.0"),
        ("1e400 ** 0.5", "inf"),
        ("3 ** 39", "4052555153018976267"),
        ("(-3) ** 39", "-4052555153018976267"),
        ("7 ** 0", "1"),
        ("2 ** 2.5", "5.656854249492381"),
        ("9 ** -0.5", "0.3333333333333333"),
        ("10.0 ** -400", "0.0"),
    ]
    static let comparisons: [(String, String)] = [
        ("1 < 2 == 2", "True"),
        ("3 > 2 > 1", "True"),
        ("1 < 3 < 2", "False"),
        ("1 < 2 < 3 < 4", "True"),
        ("2 == 2.0 == True", "False"),
        ("1 == 1 == 1", "True"),
        ("1 <= 1 < 2 >= 2 != 3", "True"),
        ("1 == 1.0", "True"),
        ("9007199254740993 == 9007199254740992.0", "False"),
        ("9007199254740992 == 9007199254740992.0", "True"),
        ("9223372036854775807 < 9.223372036854775807e18", "True"),
        ("9223372036854775807 == 9223372036854775808.0", "False"),
        ("-9223372036854775807 - 1 == -9.223372036854775808e18", "True"),
        ("3 < 3.5", "True"),
        ("3 > 2.9999999999999996", "True"),
        ("[1, 2] == [1, 2.0]", "True"),
        ("'a' == 'a'", "True"),
        ("'a' == 1", "False"),
        ("None == None", "True"),
        ("None != 0", "True"),
        ("[1, 2] < [1, 3]", "True"),
        ("[1, 2] < [1, 2, 0]", "True"),
        ("[2] > [1, 9]", "True"),
        ("[] == []", "True"),
        ("[1] != [1]", "False"),
        ("'abc' < 'abd'", "True"),
        ("'B' < 'a'", "True"),
        ("'' < 'a'", "True"),
        ("True == 1", "True"),
        ("False < True", "True"),
        ("True > 0.5", "True"),
        ("1e400 > 9223372036854775807", "True"),
        ("-1e400 < -9223372036854775807", "True"),
        ("1e400 - 1e400 == 1e400 - 1e400", "False"),
        ("1e400 - 1e400 != 0", "True"),
        ("1e400 - 1e400 < 1", "False"),
        ("1e400 - 1e400 >= 1", "False"),
        ("[1, 'a'] == [1, 'a']", "True"),
        ("[[1], 2] < [[1, 0], 0]", "True"),
    ]
    static let logic: [(String, String)] = [
        ("3 if True else 4", "3"),
        ("'a' if '' else 'b'", "'b'"),
        ("0 and 1 / 0", "0"),
        ("1 or 1 / 0", "1"),
        ("0 or []", "[]"),
        ("[] or 0", "0"),
        ("None or 'x'", "'x'"),
        ("1 and 2 and 3", "3"),
        ("1 and 0 and 3", "0"),
        ("0.0 or None", "None"),
        ("not []", "True"),
        ("not [0]", "False"),
        ("not ''", "True"),
        ("not 'a'", "False"),
        ("not None", "True"),
        ("1 if 1e400 - 1e400 else 2", "1"),
        ("2 and 'yes' or 'no'", "'yes'"),
        ("0 and 'yes' or 'no'", "'no'"),
        ("[] and 1", "[]"),
        ("[0] and 'x'", "'x'"),
        ("1 / 0 if 0 else 5", "5"),
        ("5 if 1 else 1 / 0", "5"),
        ("1 < 0 < 1 / 0", "False"),
        ("False or 0.0", "0.0"),
        ("True and None", "None"),
    ]
    static let bools: [(String, String)] = [
        ("True + 1", "2"),
        ("True * 2.5", "2.5"),
        ("-True", "-1"),
        ("+True", "1"),
        ("True + True", "2"),
        ("True / 2", "0.5"),
        ("False - True", "-1"),
        ("True ** 10", "1"),
        ("True // True", "1"),
        ("abs(False)", "0"),
        ("true and false", "False"),
        ("true + false", "1"),
    ]
    static let literals: [(String, String)] = [
        ("0x1F", "31"),
        ("0XfF", "255"),
        ("0o17", "15"),
        ("0b1010", "10"),
        ("0B_1010", "10"),
        ("1_000_000", "1000000"),
        ("0x_ff", "255"),
        ("1e-5", "1e-05"),
        (".5", "0.5"),
        ("5.", "5.0"),
        ("1_0.2_5", "10.25"),
        ("1e400", "inf"),
        ("1E3", "1000.0"),
        ("1e-400", "0.0"),
        ("0", "0"),
        ("00", "0"),
        ("0_0", "0"),
        ("0.0", "0.0"),
        ("00.5", "0.5"),
        ("01e2", "100.0"),
        ("1.e2", "100.0"),
        ("1_0e1_0", "100000000000.0"),
        ("9223372036854775807", "9223372036854775807"),
        ("0x7fffffffffffffff", "9223372036854775807"),
        ("true", "True"),
        ("false", "False"),
        ("True", "True"),
        ("False", "False"),
        ("None", "None"),
        ("\"it's\"", "\"it's\""),
        ("'say \"hi\"'", "'say \"hi\"'"),
        ("'tab\\tnew\\nline'", "'tab\\tnew\\nline'"),
        ("'back\\\\slash'", "'back\\\\slash'"),
        ("[1, 2.5, 'a', None, True]", "[1, 2.5, 'a', None, True]"),
        ("[]", "[]"),
        ("[1,]", "[1]"),
        ("[[1], []]", "[[1], []]"),
        ("[1 + 1, 2 * 3]", "[2, 6]"),
        ("0.1 + 0.2", "0.30000000000000004"),
        ("1e16", "1e+16"),
        ("1e15", "1000000000000000.0"),
        ("123456789.123456789", "123456789.12345679"),
        ("1.5e-7", "1.5e-07"),
        ("0.0001", "0.0001"),
        ("-0.0", "-0.0"),
        ("1e400 - 1e400", "nan"),
        ("-1e400", "-inf"),
        ("2.5e-310", "2.5e-310"),
    ]
    static let functions: [(String, String)] = [
        ("min(3, 1, 2)", "1"),
        ("max(3, 1, 2)", "3"),
        ("min([4, 2, 8])", "2"),
        ("max([1.5, 2])", "2"),
        ("min(1, 1.0)", "1"),
        ("max(1, 1.0)", "1"),
        ("max(1.0, 1)", "1.0"),
        ("min(True, 1)", "True"),
        ("min('b', 'a')", "'a'"),
        ("max('abc')", "'c'"),
        ("min([[2], [1, 5]])", "[1, 5]"),
        ("max(-1, -1.5, )", "-1"),
        ("abs(-3)", "3"),
        ("abs(-2.5)", "2.5"),
        ("abs(True)", "1"),
        ("abs(-0.0)", "0.0"),
        ("int(2.9)", "2"),
        ("int(-2.9)", "-2"),
        ("int(True)", "1"),
        ("int()", "0"),
        ("int(7)", "7"),
        ("int(-0.5)", "0"),
        ("int(9.2e18)", "9200000000000000000"),
        ("float(3)", "3.0"),
        ("float()", "0.0"),
        ("float(True)", "1.0"),
        ("float(9007199254740993)", "9007199254740992.0"),
        ("float(2.5)", "2.5"),
        ("round(2.5)", "2"),
        ("round(3.5)", "4"),
        ("round(-0.5)", "0"),
        ("round(-1.5)", "-2"),
        ("round(0.5)", "0"),
        ("round(1.5)", "2"),
        ("round(2.4999999999999996)", "2"),
        ("round(7)", "7"),
        ("round(True)", "1"),
        ("round(-2.675)", "-3"),
        ("round(2.675, 2)", "2.67"),
        ("round(1.005, 2)", "1.0"),
        ("round(2.5, 0)", "2.0"),
        ("round(-0.4, 0)", "-0.0"),
        ("round(1234.5678, -2)", "1200.0"),
        ("round(1250, -2)", "1200"),
        ("round(1350, -2)", "1400"),
        ("round(-1250, -2)", "-1200"),
        ("round(15, -1)", "20"),
        ("round(25, -1)", "20"),
        ("round(7, 2)", "7"),
        ("round(0.125, 2)", "0.12"),
        ("round(0.375, 2)", "0.38"),
        ("round(number=2.5)", "2"),
        ("round(2.567, ndigits=1)", "2.6"),
        ("round(1e300, -299)", "1e+300"),
        ("round(123.456, None)", "123"),
        ("round(4999999999999999999, -19)", "0"),
        ("round(-5000000000000000000, -19)", "0"),
        ("round(5, -30)", "0"),
        ("round(0.1, 400)", "0.1"),
        ("round(1e300, -400)", "0.0"),
        ("round(-1e300, -400)", "-0.0"),
        ("round(5e-324, 323)", "0.0"),
        ("round(5e-324, 324)", "5e-324"),
        ("round(2.5, True)", "2.5"),
        ("round(1.23456789e-5, 7)", "1.23e-05"),
        ("round(1e22, -22)", "1e+22"),
        ("round(0.5, 1)", "0.5"),
        ("round(0.05, 1)", "0.1"),
        ("round(0.15, 1)", "0.1"),
        ("round(0.25, 1)", "0.2"),
        ("round(0.35, 1)", "0.3"),
        ("round(0.45, 1)", "0.5"),
        ("round(1e400, 2)", "inf"),
        ("round(123456789.987654321, 3)", "123456789.988"),
        ("round(-0.0, 1)", "-0.0"),
        ("round(0.0)", "0"),
        ("floor(2.5)", "2"),
        ("floor(-2.5)", "-3"),
        ("ceil(2.1)", "3"),
        ("ceil(-2.1)", "-2"),
        ("floor(7)", "7"),
        ("ceil(True)", "1"),
        ("floor(-0.0)", "0"),
        ("ceil(-0.5)", "0"),
        ("log2(8)", "3.0"),
        ("log2(10)", "3.321928094887362"),
        ("log2(0.5)", "-1.0"),
        ("log2(1e400)", "inf"),
        ("log2(True)", "0.0"),
        ("log2(9223372036854775807)", "63.0"),
        ("sqrt(16)", "4.0"),
        ("sqrt(2)", "1.4142135623730951"),
        ("sqrt(-0.0)", "-0.0"),
        ("sqrt(1e400)", "inf"),
        ("sqrt(True)", "1.0"),
        ("len([1, 2, 3])", "3"),
        ("len([])", "0"),
        ("len('abc')", "3"),
        ("len('')", "0"),
    ]
    static let make_divisible: [(String, String)] = [
        ("make_divisible(64 * 0.0625, 8, round_limit=0)", "8"),
        ("make_divisible(24 * 0.25)", "8"),
        ("make_divisible(100 * 0.25, 8)", "24"),
        ("make_divisible(64)", "64"),
        ("make_divisible(37)", "40"),
        ("make_divisible(36)", "40"),
        ("make_divisible(35)", "32"),
        ("make_divisible(3, 8)", "8"),
        ("make_divisible(96 * 0.25, divisor=16)", "32"),
        ("make_divisible(10, 4, min_value=16)", "16"),
        ("make_divisible(v=20.5, divisor=3, round_limit=0.95)", "21"),
        ("make_divisible(128 * 1.5, 8)", "192"),
        ("make_divisible(12.3, 4.0)", "12.0"),
        ("make_divisible(7, 8, min_value=0)", "8"),
        ("make_divisible(0.5 * 30, 8, round_limit=0.0)", "16"),
        ("make_divisible(100, 8, None, 0.9)", "104"),
        ("make_divisible(round_limit=1, v=9)", "16"),
        ("make_divisible(1000 * 0.3)", "304"),
        ("make_divisible(0)", "8"),
        ("make_divisible(-40)", "8"),
        ("make_divisible(True)", "8"),
        ("make_divisible(58, 16)", "64"),
        ("make_divisible(56, divisor=16, round_limit=1.0)", "64"),
    ]
    static let scope: [(String, String)] = [
        ("C * ratio", "24.0"),
        ("C // heads", "32"),
        ("make_divisible(C * ratio)", "24"),
        ("C if use_bias else 0", "96"),
        ("act == 'gelu'", "True"),
        ("len(dims)", "4"),
        ("max(dims)", "512"),
        ("min(dims) * 2", "128"),
        ("nothing == None", "True"),
        ("nothing or C", "96"),
        ("empty or dims", "[64, 128, 320, 512]"),
        ("C // heads if heads else 1", "32"),
        ("C / heads", "32.0"),
        ("[C, heads]", "[96, 3]"),
        ("dims == [64, 128, 320, 512]", "True"),
        ("use_bias + C", "97"),
    ]
}
