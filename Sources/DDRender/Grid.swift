/// Which label picks an image's row.
public enum GridRows: Sendable, Equatable {
    /// Groups when the batch has group labels, else classes.
    case auto
    case classes
    case groups
}

public struct GridOptions: Sendable, Equatable {
    /// Images per row: the first `perRow` of each row's images, in batch order.
    public var perRow = 10
    /// Integer nearest-neighbour upscaling of every image.
    public var scale = 1
    /// Pixels between cells, and around the grid.
    public var gutter = 1
    public var labels = true
    public var title: String?
    public var rows = GridRows.auto
    /// Classes to draw, in row order; nil draws every class that has images.
    public var classes: [Int]?
    /// Font pixel size; nil picks one from the cell height.
    public var fontScale: Int?
    public var background = Color.white
    public var emptyCell = Color(gray: 208)
    public var ink = Color.black
    /// Longest label drawn before it is shortened with "..".
    public var maxLabelCharacters = 16

    public init() {}

    /// Checks the ranges; callers can run it before reading any input.
    public func validate() throws {
        guard (1...1000).contains(perRow) else { throw RenderError.argument("--per-class must be in 1…1000, got \(perRow)") }
        guard (1...64).contains(scale) else { throw RenderError.argument("--scale must be in 1…64, got \(scale)") }
        guard (0...16).contains(gutter) else { throw RenderError.argument("--gutter must be in 0…16, got \(gutter)") }
        if let f = fontScale, !(1...16).contains(f) { throw RenderError.argument("font scale must be in 1…16, got \(f)") }
        guard maxLabelCharacters >= 1 else { throw RenderError.argument("label length must be positive") }
    }
}

/// Where everything goes, as pure arithmetic so tests can check it against their own formula.
public struct GridGeometry: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var cellWidth: Int
    public var cellHeight: Int
    /// Cell height, raised to the label height when a label is taller than the images.
    public var rowHeight: Int
    public var gutter: Int
    public var fontScale: Int
    /// Label column width including its padding (0 without labels).
    public var labelWidth: Int
    /// Title band height including its padding (0 without a title).
    public var titleHeight: Int

    /// Padding around label and title text, in pixels.
    public var textPadding: Int { 2 * fontScale }

    public var width: Int { 2 * gutter + labelWidth + columns * cellWidth + (columns - 1) * gutter }
    public var height: Int { 2 * gutter + titleHeight + rows * rowHeight + (rows - 1) * gutter }

    public init(rows: Int, columns: Int, cellWidth: Int, cellHeight: Int, gutter: Int, fontScale: Int,
                longestLabel: Int, hasTitle: Bool) {
        self.rows = rows
        self.columns = columns
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        self.gutter = gutter
        self.fontScale = fontScale
        let textHeight = BitmapFont.glyphHeight * fontScale
        let padding = 2 * fontScale
        labelWidth = longestLabel > 0 ? (longestLabel * BitmapFont.advance - 1) * fontScale + 2 * padding : 0
        titleHeight = hasTitle ? textHeight + 2 * padding : 0
        rowHeight = longestLabel > 0 ? max(cellHeight, textHeight) : cellHeight
    }

    /// Top-left pixel of the image in (row, column).
    public func cellOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
        (gutter + labelWidth + column * (cellWidth + gutter),
         gutter + titleHeight + row * (rowHeight + gutter) + (rowHeight - cellHeight) / 2)
    }

    /// Top-left pixel of a row's label text.
    public func labelOrigin(row: Int) -> (x: Int, y: Int) {
        (gutter + textPadding,
         gutter + titleHeight + row * (rowHeight + gutter) + (rowHeight - BitmapFont.glyphHeight * fontScale) / 2)
    }

    public var titleOrigin: (x: Int, y: Int) { (gutter + textPadding, gutter + textPadding) }
}

/// The rows a grid will show: which images, under which label.
public struct GridPlan: Sendable {
    public struct Row: Sendable, Equatable {
        public var label: String
        /// Indices into the batch, in batch order.
        public var images: [Int]
    }

    public var rows: [Row]
    public var geometry: GridGeometry
    public var title: String?

    /// Chooses rows and images: one row per class (or group), the first `perRow` images of each.
    public init(batch: ImageBatch, options: GridOptions) throws {
        try options.validate()
        let byGroup: Bool
        switch options.rows {
        case .auto: byGroup = batch.groups != nil
        case .classes: byGroup = false
        case .groups:
            guard batch.groups != nil else { throw RenderError.argument("rows by group, but the images have no group labels") }
            byGroup = true
        }
        if let classes = options.classes, let bad = classes.first(where: { $0 < 0 || $0 >= batch.classCount }) {
            throw RenderError.argument("class \(bad) is outside 0…\(batch.classCount - 1)")
        }
        let wanted = options.classes.map(Set.init)
        let keyCount = byGroup ? batch.groupCount : batch.classCount
        var members = [[Int]](repeating: [], count: keyCount)
        // Stop scanning once every row that can fill has filled: a 60,000-image stream needs a few hundred.
        let fillable = byGroup ? keyCount : (wanted?.count ?? keyCount)
        var full = 0
        let groups = batch.groups ?? []
        for i in 0..<batch.count where full < fillable {
            if let wanted, !wanted.contains(batch.labels[i]) { continue }
            let key = byGroup ? groups[i] : batch.labels[i]
            guard members[key].count < options.perRow else { continue }
            members[key].append(i)
            if members[key].count == options.perRow { full += 1 }
        }
        let order: [Int]
        if !byGroup, let classes = options.classes {
            order = classes  // asked for explicitly: shown even when empty
        } else {
            order = (0..<keyCount).filter { !members[$0].isEmpty }
        }
        guard !order.isEmpty else { throw RenderError.data("there are no images to draw") }
        rows = order.map {
            Row(label: BitmapFont.fitted(byGroup ? batch.groupName($0) : batch.className($0),
                                         maxCharacters: options.maxLabelCharacters),
                images: members[$0])
        }
        let columns = max(1, rows.map(\.images.count).max() ?? 1)
        let cellWidth = batch.width * options.scale, cellHeight = batch.height * options.scale
        let fontScale = options.fontScale ?? max(1, min(cellHeight / 24, 4))
        var geometry = GridGeometry(
            rows: rows.count, columns: columns, cellWidth: cellWidth, cellHeight: cellHeight,
            gutter: options.gutter, fontScale: fontScale,
            longestLabel: options.labels ? rows.map(\.label.count).max() ?? 0 : 0,
            hasTitle: options.title != nil)
        if let text = options.title {
            // The title is cut to the grid's width rather than widening the grid.
            let room = (geometry.width - 2 * geometry.gutter - 2 * geometry.textPadding + fontScale)
                / (BitmapFont.advance * fontScale)
            title = BitmapFont.fitted(text, maxCharacters: max(1, room))
        } else {
            geometry.titleHeight = 0
        }
        self.geometry = geometry
        if !options.labels { rows = rows.map { Row(label: "", images: $0.images) } }
    }
}

public enum GridRenderer {
    /// Draws `batch` as a grid: 1-channel images on a gray raster, 3-channel on RGB.
    public static func render(_ batch: ImageBatch, options: GridOptions = GridOptions()) throws -> Raster {
        let plan = try GridPlan(batch: batch, options: options)
        return try render(batch, plan: plan, options: options)
    }

    public static func render(_ batch: ImageBatch, plan: GridPlan, options: GridOptions) throws -> Raster {
        let format: PixelFormat
        switch batch.channels {
        case 1: format = .gray
        case 3: format = .rgb
        default:
            throw RenderError.data("cannot draw \(batch.channels)-channel images; dd-render draws 1 (gray) or 3 (RGB) channels")
        }
        let g = plan.geometry
        var canvas = try Raster(width: g.width, height: g.height, format: format, background: options.background)
        if let title = plan.title {
            canvas.draw(text: title, x: g.titleOrigin.x, y: g.titleOrigin.y, scale: g.fontScale, color: options.ink)
        }
        for (r, row) in plan.rows.enumerated() {
            if !row.label.isEmpty {
                let at = g.labelOrigin(row: r)
                canvas.draw(text: row.label, x: at.x, y: at.y, scale: g.fontScale, color: options.ink)
            }
            for column in 0..<g.columns {
                let at = g.cellOrigin(row: r, column: column)
                if column < row.images.count {
                    canvas.blit(try batch.raster(image: row.images[column], format: format),
                                x: at.x, y: at.y, scale: options.scale)
                } else {
                    canvas.fill(x: at.x, y: at.y, width: g.cellWidth, height: g.cellHeight, color: options.emptyCell)
                }
            }
        }
        return canvas
    }
}
