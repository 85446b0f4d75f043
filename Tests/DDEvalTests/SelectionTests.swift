import DDData
import DDNN
import DDTrain
import Testing
@testable import DDEval

@Suite struct SelectionTests {
    @Test func shardsAndIndicesPickTheirNetworks() throws {
        #expect(try NetworkSelection.all.networks(of: 5) == [0, 1, 2, 3, 4])
        #expect(try NetworkSelection.parseShard("0/2").networks(of: 5) == [0, 2, 4])
        #expect(try NetworkSelection.parseShard("1/2").networks(of: 5) == [1, 3])
        #expect(try NetworkSelection.parseIndices("4,3,3").networks(of: 5) == [3, 4])
        #expect(try NetworkSelection.parseShard("1/2").description == "shard 1/2")
    }

    @Test func badSelectionsAreUsageErrorsNamingTheValue() {
        for text in ["2/2", "1", "a/2", "0/0", "-1/2"] {
            #expect(throws: EvalInputError.self) { try NetworkSelection.parseShard(text) }
        }
        for text in ["", "1,,2", "-1", "x"] {
            #expect(throws: EvalInputError.self) { try NetworkSelection.parseIndices(text) }
        }
        #expect(throws: EvalInputError("--index 5 is outside 0..<5 (--nets 5)", usage: true)) {
            try NetworkSelection.parseIndices("1,5").networks(of: 5)
        }
        #expect(throws: EvalInputError("--shard 3/4 selects none of --nets 2", usage: true)) {
            try NetworkSelection.parseShard("3/4").networks(of: 2)
        }
    }

    /// The reason shards exist: networks trained in separate processes are the networks of one full run.
    @Test func shardsTogetherReproduceTheFullRunNetworkForNetwork() throws {
        let train = toyDataset(), test = toyDataset(perClass: [3, 3, 3], seed: 9)
        let full = EvalConfiguration(architectures: [NetworkSpec(.convnet, depth: 1, width: 4)], networks: 3, baseSeed: 7,
                                     recipe: TrainingRecipe(batchSize: 6, epochs: 2))
        func outcomes(_ selection: NetworkSelection) throws -> [NetworkOutcome] {
            var configuration = full
            configuration.selection = selection
            var seen: [NetworkOutcome] = []
            _ = try EvalSession.run(train: train, test: test, hardLabels: false, configuration: configuration,
                                    networkFinished: { seen.append($0) })
            return seen
        }
        let whole = try outcomes(.all)
        let parts = try outcomes(.shard(index: 1, count: 2)) + outcomes(.shard(index: 0, count: 2))
        #expect(parts.map(\.index) == [1, 0, 2])
        for part in parts {
            let reference = whole[part.index]
            #expect(part.seed == reference.seed)
            #expect(part.result.loss == reference.result.loss)
            #expect(part.result.accuracy == reference.result.accuracy)
        }
        // Different networks really differ, so equal losses above are not a coincidence of the toy task.
        #expect(Set(whole.map(\.result.loss)).count == 3)
        let one = try outcomes(.indices([2]))
        #expect(one.count == 1 && one[0].result.loss == whole[2].result.loss)
    }
}
