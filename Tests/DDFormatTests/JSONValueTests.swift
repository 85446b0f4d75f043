import Testing
@testable import DDFormat

@Suite struct JSONValueTests {
    @Test func serialisesWithSortedKeysAndNoWhitespace() {
        let value: JSONValue = ["zeta": 1, "alpha": [true, nil, "x"], "Beta": ["b": 2.5, "a": -3]]
        // Byte order puts uppercase before lowercase, like Python's json.dumps(sort_keys=True).
        #expect(value.serialized() == #"{"Beta":{"a":-3,"b":2.5},"alpha":[true,null,"x"],"zeta":1}"#)
    }

    @Test func numbersPrintShortestRoundTripForm() throws {
        #expect(JSONValue.number(0.1307).serialized() == "0.1307")
        #expect(JSONValue.number(60000).serialized() == "60000")
        #expect(JSONValue.number(-0.5).serialized() == "-0.5")
        #expect(JSONValue.number(.nan).serialized() == "null")
        #expect(try JSONValue.parse(JSONValue.number(1e-5).serialized()) == .number(1e-5))
    }

    @Test func escapesStringsAndParsesThemBack() throws {
        let text = "quote\" backslash\\ newline\n tab\t bell\u{07} é 🙂"
        let encoded = JSONValue.string(text).serialized()
        #expect(encoded == "\"quote\\\" backslash\\\\ newline\\n tab\\t bell\\u0007 é 🙂\"")
        #expect(try JSONValue.parse(encoded) == .string(text))
        #expect(try JSONValue.parse(#""\u00e9\ud83d\ude42\/""#) == .string("é🙂/"))
    }

    @Test func parsesNestedDocument() throws {
        let parsed = try JSONValue.parse(#" { "a" : [1, 2.5e2, -0.0, false], "b": {"c": null} } "#)
        #expect(parsed["a"] == [1, 250, 0, false])
        #expect(parsed["b"]?["c"] == .null)
        #expect(parsed["a"]?.arrayValue?.first?.intValue == 1)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "nul", "\"\u{01}\"", "{\"a\":1,\"a\":2}",
                      "[1] x", "\"\\ud800\"", "1e999", "{1:2}"])
    func rejectsMalformedJSON(text: String) {
        #expect(throws: FormatError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsDeepNestingInsteadOfOverflowingTheStack() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: FormatError.self) { try JSONValue.parse(deep) }
        #expect((try? JSONValue.parse("[[[1]]]")) != nil)
    }

    @Test func roundTripsThroughSerialisation() throws {
        let value: JSONValue = ["classes": ["0", "1"], "mean": [0.1307], "std": [0.3081], "geometry": [1, 28, 28],
                                "nested": ["deep": ["x": "y"]], "flag": false]
        #expect(try JSONValue.parse(value.serialized()) == value)
    }
}

@Suite struct JSONInteropTests {
    @Test func serialisationMatchesPythonSortedCompactJSON() throws {
        let value: JSONValue = ["b": [1, 2.5, 1e-5, 1e100, -0.125], "a": "é\u{07}\"\\/🙂", "A": ["z": nil, "y": true],
                                "mean": [0.1307], "count": 60000]
        let swift = value.serialized()
        let script = "import json, sys; print(json.dumps(json.loads(sys.stdin.read()), sort_keys=True, separators=(',', ':'), ensure_ascii=False), end='')"
        let (status, python, err) = try runPython(["-c", script], stdin: Array(swift.utf8))
        #expect(status == 0, "\(err)")
        #expect(python == swift)
    }
}
