import DDData

extension ImageBatch {
    /// The images of a dd dataset or synthetic set: u8 images as stored, normalised float images with
    /// the dataset's own mean and std, group labels (when present) for per-group rows.
    public init(dataset: Dataset) throws {
        let g = dataset.geometry
        let pixels: Pixels
        switch dataset.images {
        case .u8(let values): pixels = .u8(values)
        case .normalized(let values): pixels = .f32(values)
        }
        try self.init(count: dataset.count, channels: g.channels, height: g.height, width: g.width,
                      pixels: pixels, labels: dataset.labels.map(Int.init), classNames: dataset.classNames,
                      groups: dataset.groups?.map(Int.init),
                      mean: dataset.mean.isEmpty ? nil : dataset.mean,
                      std: dataset.std.isEmpty ? nil : dataset.std)
    }
}

extension GridRenderer {
    /// A dataset's grid as PNG bytes. `text` becomes PNG text chunks (e.g. the producing command).
    public static func png(_ dataset: Dataset, options: GridOptions = GridOptions(),
                           text: [(keyword: String, value: String)] = []) throws -> [UInt8] {
        let batch = try ImageBatch(dataset: dataset)
        return try PNGEncoder.encode(render(batch, options: options), text: text)
    }

    /// Several grids side by side, tops aligned (e.g. snapshots of a synthetic set as it evolves, each
    /// with its own title). Panels must share a pixel format.
    public static func sideBySide(_ panels: [Raster], gutter: Int = 4, background: Color = .white) throws -> Raster {
        guard let first = panels.first else { throw RenderError.argument("no panels to place side by side") }
        guard panels.allSatisfy({ $0.format == first.format }) else {
            throw RenderError.data("panels mix gray and colour images")
        }
        let width = panels.reduce(0) { $0 + $1.width } + gutter * (panels.count - 1)
        let height = panels.map(\.height).max() ?? 1
        var canvas = try Raster(width: width, height: height, format: first.format, background: background)
        var x = 0
        for panel in panels {
            canvas.blit(panel, x: x, y: 0)
            x += panel.width + gutter
        }
        return canvas
    }
}

extension GridRenderer {
    /// The grid of one dataset, or of several side by side with each panel titled with its name (after
    /// `options.title`). `classList` (e.g. "0,3-5,Sneaker") is resolved against each dataset's names.
    /// Errors name the panel they concern.
    public static func render(_ panels: [(name: String, dataset: Dataset)], options: GridOptions,
                              classList: String? = nil) throws -> Raster {
        let titled = panels.count > 1
        let rasters = try panels.map { panel in
            do {
                let batch = try ImageBatch(dataset: panel.dataset)
                var o = options
                if titled { o.title = options.title.map { "\($0) \(panel.name)" } ?? panel.name }
                if let classList { o.classes = try batch.resolveClasses(classList) }
                return try render(batch, options: o)
            } catch let error as RenderError {
                throw RenderError(error.kind, "\(panel.name): \(error.message)")
            }
        }
        return rasters.count == 1 ? rasters[0] : try sideBySide(rasters)
    }
}
