import DDData
import DDFormat
import Foundation
import Testing
@testable import DDMethods

@Suite struct DistillBadInputTests {
    func error(_ body: () throws -> Void) -> DistillError? {
        do { try body() } catch let error as DistillError { return error } catch { return nil }
        return nil
    }

    @Test func ipcLargerThanTheSmallestClassNamesTheClass() throws {
        var dataset = try DistillTestData.subset(perClass: 5)
        // Drop 3 images of class 2 (label index 2, MNIST digit 7): it keeps 2.
        dataset = try dataset.subset(indices: Array(0..<12))
        let failure = error { _ = try Distiller(config: DistillTestData.config(.dm, ipc: 3, iterations: 1), dataset: dataset) }
        #expect(failure?.kind == .usage)
        #expect(failure?.message.contains("class 2 (7)") == true)
        #expect(failure?.message.contains("only 2 images") == true)
    }

    @Test func aClassWithNoImages() throws {
        var dataset = try DistillTestData.subset(perClass: 4)
        dataset = try dataset.subset(indices: Array(0..<8))   // classes 0 and 1 only, class 2 declared but empty
        let failure = error { _ = try Distiller(config: DistillTestData.config(.dc, iterations: 1), dataset: dataset) }
        #expect(failure?.kind == .badData)
        #expect(failure?.message.contains("class 2 (7) has no images") == true)
    }

    @Test func unknownMethodListsTheMethods() throws {
        let failure = error { _ = try AnyDistillMethod(parsing: "kip") }
        #expect(failure?.kind == .usage)
        for name in ["dc", "dsa", "dm", "mtt", "tesla", "random", "herding", "kcenter", "forgetting"] {
            #expect(failure?.message.contains(name) == true)
        }
        #expect(try AnyDistillMethod(parsing: "DM") == .optimized(.dm))
        #expect(try AnyDistillMethod(parsing: "k-center") == .coreset(.kcenter))
    }

    @Test func aDatasetStreamWithoutLabelsIsRefused() throws {
        let dataset = try DistillTestData.subset(perClass: 2)
        let sink = MemorySink()
        let writer = try StreamWriter(sink: sink, kind: .dataset, metadata: dataset.streamMetadata())
        try writer.write(name: "images", shape: [dataset.count, 1, 28, 28], values: dataset.normalizedImages())
        try writer.finish()
        #expect(throws: DataError.self) { _ = try Dataset.read(from: StreamReader(bytes: sink.bytes)) }
        do {
            _ = try Dataset.read(from: StreamReader(bytes: sink.bytes))
        } catch {
            #expect("\(error)".contains("no labels"))
        }
    }

    @Test func aCheckpointFromAnotherMethodOrDatasetIsRefused() throws {
        let dataset = try DistillTestData.subset(perClass: 6)
        let dm = try Distiller(config: DistillTestData.config(.dm, iterations: 1), dataset: dataset)
        _ = try dm.run(DistillRunOptions())
        let sink = MemorySink()
        try dm.checkpoint.write(to: sink)
        let saved = try DistillCheckpoint.read(from: StreamReader(bytes: sink.bytes))

        let dc = try Distiller(config: DistillTestData.config(.dc, iterations: 2), dataset: dataset)
        let wrongMethod = error { try dc.resume(from: saved) }
        #expect(wrongMethod?.kind == .badData && wrongMethod?.message.contains("method dm") == true)

        let otherData = try DistillTestData.subset(perClass: 6, offset: 6)
        let elsewhere = try Distiller(config: DistillTestData.config(.dm, iterations: 2), dataset: otherData)
        let wrongData = error { try elsewhere.resume(from: saved) }
        #expect(wrongData?.kind == .badData && wrongData?.message.contains("dataset") == true)

        var changed = DistillTestData.config(.dm, iterations: 2)
        changed.learningRateImages = 0.5
        let otherRate = try Distiller(config: changed, dataset: dataset)
        let wrongRate = error { try otherRate.resume(from: saved) }
        #expect(wrongRate?.message.contains("lr_img") == true)

        // The matching run accepts it and may extend the iteration count.
        let same = try Distiller(config: DistillTestData.config(.dm, iterations: 2), dataset: dataset)
        try same.resume(from: saved)
        #expect(same.state.iteration == 1)
    }
}
