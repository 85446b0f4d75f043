// Streaming through real pipes, and the concatenation rule.
import Foundation
import Testing
@testable import DDFormat

@Suite struct StreamingTests {
    @Test func recordsCrossAPipeOneAtATime() throws {
        let pipe = Pipe()
        let firstRead = DispatchSemaphore(value: 0)
        let writerDone = DispatchSemaphore(value: 0)
        // Set by the writer thread when the reader had record 1 before record 2 was written.
        final class Flag: @unchecked Sendable { var value = false; var error: Error? }
        let streamed = Flag()
        let writeFD = pipe.fileHandleForWriting.fileDescriptor
        Thread.detachNewThread {
            do {
                let writer = try StreamWriter(fileDescriptor: writeFD, kind: .trajectory, metadata: ["model": "convnet"])
                try writer.write(name: "epoch/000", shape: [3], values: [Float(1), 2, 3])
                // The reader must get epoch 0 while the producer is still running (no buffering to the end).
                streamed.value = firstRead.wait(timeout: .now() + 10) == .success
                try writer.write(name: "epoch/001", shape: [2, 2], values: [Double(4), 5, 6, 7])
                try writer.finish()
            } catch { streamed.error = error }
            try? pipe.fileHandleForWriting.close()
            writerDone.signal()
        }
        let reader = StreamReader(source: FileDescriptorSource(fileHandle: pipe.fileHandleForReading))
        let first = try #require(try reader.next())
        #expect(try first.floats() == [1, 2, 3])
        #expect(reader.streamHeader?.metadata["model"] == "convnet")
        firstRead.signal()
        let second = try #require(try reader.next())
        #expect(second.shape == [2, 2])
        #expect(try second.doubles() == [4, 5, 6, 7])
        #expect(try reader.next() == nil)
        writerDone.wait()
        #expect(streamed.value)
        #expect(streamed.error == nil)
    }

    @Test func largeRecordThroughAPipeInManyShortReads() throws {
        let pipe = Pipe()
        let values = (0..<300_000).map { Float($0 % 977) / 7 }
        let writeFD = pipe.fileHandleForWriting.fileDescriptor
        Thread.detachNewThread {
            let writer = try? StreamWriter(fileDescriptor: writeFD, kind: .synthetic, options: WriterOptions(level: 1, chunkBytes: 100_000))
            try? writer?.write(name: "images", shape: [300_000], values: values)
            try? writer?.finish()
            try? pipe.fileHandleForWriting.close()
        }
        let records = try StreamReader(fileDescriptor: pipe.fileHandleForReading.fileDescriptor).readAll()
        #expect(records.count == 1)
        #expect(try records.first?.floats() == values)
    }

    @Test func concatenatedStreamsReadAsOneSequence() throws {
        let a = try writeStream(kind: .dataset, metadata: ["name": "a"]) { w in
            try w.write(name: "images", shape: [1, 1, 2, 2], values: [UInt8(1), 2, 3, 4])
            try w.write(name: "labels", shape: [1], values: [Int64(7)])
        }
        let b = try writeStream(kind: .trajectory, metadata: ["name": "b"]) { w in
            try w.write(name: "epoch/000", shape: [2], values: [Float(0.5), 1.5])
        }
        let reader = StreamReader(bytes: a + b)
        #expect(try reader.readStreamHeader().metadata["name"] == "a")
        #expect(try reader.next()?.name == "images")
        #expect(try reader.next()?.name == "labels")
        #expect(reader.segmentCount == 1)
        #expect(try reader.next()?.name == "epoch/000")
        #expect(reader.segmentCount == 2)
        #expect(reader.streamHeader == StreamHeader(kind: .trajectory, metadata: ["name": "b"]))
        #expect(try reader.next() == nil)
        #expect(reader.endMetadata.count == 2)
        // A second stream cut short is still an error, not a clean end of the first.
        #expect(readError(a + Array(b[0..<10])) == .truncated(part: .prefix, expected: 40, got: 10))
        let bWithoutEnd = try writeStream(kind: .trajectory, finish: false) { w in try w.write(name: "e", shape: [], values: [Float(1)]) }
        #expect(readError(a + bWithoutEnd) == .missingEnd(recordsRead: 3))
        // The first stream lost its end record and another was appended: still a missing end, not a valid pair.
        let aWithoutEnd = try writeStream(finish: false) { w in try w.write(name: "images", shape: [1], values: [UInt8(1)]) }
        #expect(readError(aWithoutEnd + b) == .missingEnd(recordsRead: 1))
    }

    @Test func requireKindNamesWhatWasFoundAndWhatIsAccepted() throws {
        let trajectory = try writeStream(kind: .trajectory) { _ in }
        let error = #expect(throws: FormatError.self) { try StreamReader(bytes: trajectory).requireKind(.dataset, .synthetic) }
        #expect(error == .unexpectedKind(found: "trajectory", expected: ["dataset", "synthetic"]))
        #expect(error?.description == #"stream kind is "trajectory", expected "dataset" or "synthetic""#)
        #expect(error?.isDataError == true)
        #expect(try StreamReader(bytes: trajectory).requireKind(.trajectory).kind == .trajectory)
    }

    @Test func emptyStreamHasOnlyBeginAndEnd() throws {
        let bytes = try writeStream(kind: .synthetic) { _ in }
        let reader = StreamReader(bytes: bytes)
        #expect(try reader.next() == nil)
        #expect(reader.streamHeader?.kind == .synthetic)
    }
}

@Suite struct FileHandleTests {
    @Test func writesAndReadsThroughFileHandles() throws {
        let url = temporaryFile("handles.ddt")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
        let out = try FileHandle(forWritingTo: url)
        let writer = try StreamWriter(sink: FileDescriptorSink(fileHandle: out), kind: .dataset)
        try writer.write(name: "labels", shape: [4], values: [Int32(3), 1, 4, 1])
        try writer.finish()
        try out.close()
        let input = try FileHandle(forReadingFrom: url)
        defer { try? input.close() }
        let records = try StreamReader(source: FileDescriptorSource(fileHandle: input)).readAll()
        #expect(try records.map { try $0.int32s() } == [[3, 1, 4, 1]])
    }

    @Test func writeErrorsAreIOErrors() throws {
        // An invalid descriptor makes write(2) fail: the error must be an I/O error (exit 74) carrying errno.
        let sink = FileDescriptorSink(fileDescriptor: -1)
        let error = #expect(throws: FormatError.self) { try StreamWriter(sink: sink, kind: .dataset) }
        #expect(error?.isDataError == false)
        #expect(error.map { if case .io(_, let code) = $0 { code == EBADF } else { false } } == true)
    }
}

@Suite struct ReaderMisuseTests {
    @Test func misuseDoesNotPoisonTheReader() throws {
        let bytes = try writeStream { w in try w.write(name: "v", shape: [2], values: [Float(1), 2]) }
        let reader = StreamReader(bytes: bytes)
        #expect(throws: FormatError.misuse("no payload pending")) { try reader.skipPayload() }
        _ = try reader.nextInfo()
        var tooSmall = [UInt8](repeating: 0, count: 3)
        let error = #expect(throws: FormatError.self) { try tooSmall.withUnsafeMutableBytes { try reader.readPayload(into: $0) } }
        #expect(error?.isDataError == false)
        #expect(try reader.readPayload(as: Float.self) == [1, 2])
        #expect(try reader.next() == nil)
    }
}

@Suite struct BrokenSinkTests {
    /// Accepts `budget` bytes, then fails like a closed pipe.
    final class FailingSink: ByteSink {
        var budget: Int
        var written: [UInt8] = []
        init(budget: Int) { self.budget = budget }
        func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard bytes.count <= budget else { throw FormatError.io("write failed", errno: EPIPE) }
            budget -= bytes.count
            written += bytes
        }
    }

    @Test func afterAFailedWriteNothingMoreIsWritten() throws {
        let sink = FailingSink(budget: 200)
        let writer = try StreamWriter(sink: sink, kind: .trajectory)
        let error = #expect(throws: FormatError.self) {
            try writer.write(name: "checkpoint/0000", shape: [1000], values: [Float](repeating: 1, count: 1000))
        }
        #expect(error == .io("write failed", errno: EPIPE))
        let before = sink.written.count
        #expect(throws: FormatError.self) { try writer.finish() }
        #expect(sink.written.count == before)
        // What did reach the sink reads as a stream cut short, never as a complete one.
        #expect(readError(sink.written).map { if case .truncated = $0 { true } else { false } } == true)
    }
}
