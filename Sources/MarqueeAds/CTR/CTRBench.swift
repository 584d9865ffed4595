import MarqueeCore

/// One progressive-validation pass of a ``CTRModel`` over a CTR stream file: read a batch, then for
/// each row predict, record and learn, in file order. What `marquee ads ctr-bench` runs.
public enum CTRBench {
    /// Runs the pass. `configuration.fieldCount` is raised to the file's field count when smaller.
    /// `progress` is called after each batch with the bytes parsed and the file's size.
    /// The reported speed covers opening, reading, parsing, predicting and learning — everything
    /// but the final AUC and calibration sort.
    public static func run(
        path: String, configuration: CTRModelConfiguration = CTRModelConfiguration(), batchRows: Int = 8192,
        progress: (_ bytesParsed: Int, _ fileSize: Int) -> Void = { _, _ in }
    ) throws -> CTRBenchResult {
        let clock = ContinuousClock()
        let started = clock.now
        let reader = try CTRStreamReader(path: path)
        var configuration = configuration
        configuration.fieldCount = max(configuration.fieldCount, reader.fieldCount)
        let model = CTRModel(configuration: configuration)
        var validation = ProgressiveValidation(expectedExamples: max(1024, reader.fileSize / (reader.fieldCount * 3 + 2)))
        var batch = CTRBatch(fieldCount: reader.fieldCount, capacity: batchRows)
        while try reader.read(into: &batch) > 0 {
            batch.tokens.withUnsafeBufferPointer { tokens in
                let fields = batch.fieldCount
                for row in 0..<batch.count {
                    let clicked = batch.clicks[row]
                    let rowTokens = UnsafeBufferPointer(rebasing: tokens[(row * fields)..<((row + 1) * fields)])
                    let p = model.predictAndLearn(tokens: rowTokens, clicked: clicked)
                    validation.record(probability: p, clicked: clicked)
                }
            }
            progress(reader.bytesConsumed, reader.fileSize)
        }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        guard validation.examples > 0 else {
            throw MarqueeError.malformed("\(path) holds no examples")
        }
        return CTRBenchResult(
            summary: validation.summary(), seconds: seconds, crossedPairs: model.crossedPairs, fieldNames: reader.fieldNames,
            model: model)
    }
}

/// What ``CTRBench/run(path:configuration:batchRows:progress:)`` measured, and the trained model.
public struct CTRBenchResult {
    public var summary: ProgressiveValidationSummary
    /// Wall-clock seconds of the pass.
    public var seconds: Double
    /// The field pairs the model crossed, in the order they were chosen.
    public var crossedPairs: [CTRFieldPair]
    public var fieldNames: [String]
    public var model: CTRModel

    public var examplesPerSecond: Double { Double(summary.examples) / seconds }
}
