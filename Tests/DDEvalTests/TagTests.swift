import DDEval
import DDFormat
import Testing

@Suite struct TagTests {
    @Test func tagsKeepNumbersAsNumbersAndRefuseMissingKeys() {
        #expect(EvalReportContext.parseTag("ratio=0.05")?.value == .number(0.05))
        #expect(EvalReportContext.parseTag("method=dm")?.value == .string("dm"))
        #expect(EvalReportContext.parseTag("note=a=b")?.value == .string("a=b"))
        #expect(EvalReportContext.parseTag("x=inf")?.value == .string("inf"))
        #expect(EvalReportContext.parseTag(" ipc =10")?.key == "ipc")
        #expect(EvalReportContext.parseTag("=1") == nil)
        #expect(EvalReportContext.parseTag("ratio") == nil)
    }
}
