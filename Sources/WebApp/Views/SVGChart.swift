import Foundation
import Domain

/// Server-rendered SVG charts for the analytics pages: no JavaScript, no build chain. Every chart is an
/// `<svg role="img">` with a `<title>` and `<desc>` (read by screen readers) and a `<title>` on each mark
/// (the tooltip). All text that goes in is escaped here, so templates may insert the result unescaped.
enum SVGChart {
    static func esc(_ s: String) -> String {
        HTML.escape(s)
    }

    static func num(_ x: Double) -> String { String(format: "%.1f", x) }

    /// A line chart of one series with a point per label. `unit` names the value in tooltips ("visitors").
    static func line(id: String, title: String, points: [(label: String, value: Int64)], unit: String, width: Int = 720, height: Int = 220) -> String {
        let padL = 44.0, padR = 12.0, padT = 12.0, padB = 28.0
        let w = Double(width) - padL - padR, h = Double(height) - padT - padB
        let maxV = max(1, points.map(\.value).max() ?? 1)
        let total = points.reduce(Int64(0)) { $0 + $1.value }
        func x(_ i: Int) -> Double { points.count <= 1 ? padL + w / 2 : padL + w * Double(i) / Double(points.count - 1) }
        func y(_ v: Int64) -> Double { padT + h - h * Double(v) / Double(maxV) }
        var s = "<svg id=\"\(esc(id))\" class=\"chart\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-labelledby=\"\(esc(id))-t \(esc(id))-d\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += "<title id=\"\(esc(id))-t\">\(esc(title))</title>"
        let peak = points.max { $0.value < $1.value }
        s += "<desc id=\"\(esc(id))-d\">\(points.count) points, \(total) \(esc(unit)) in all" + (peak.map { ", highest \($0.value) on \(esc($0.label))" } ?? "") + ".</desc>"
        // Grid lines at 0, half and the maximum.
        for f in [0.0, 0.5, 1.0] {
            let yy = padT + h - h * f
            s += "<line x1=\"\(num(padL))\" y1=\"\(num(yy))\" x2=\"\(num(padL + w))\" y2=\"\(num(yy))\" class=\"grid\" stroke=\"#dfe3ec\"/>"
            s += "<text x=\"\(num(padL - 6))\" y=\"\(num(yy + 4))\" text-anchor=\"end\" font-size=\"11\" fill=\"#5b6478\">\(Int64((Double(maxV) * f).rounded()))</text>"
        }
        if !points.isEmpty {
            let path = points.enumerated().map { "\(num(x($0.offset))),\(num(y($0.element.value)))" }.joined(separator: " ")
            s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#3558e6\" stroke-width=\"2\"/>"
            for (i, p) in points.enumerated() {
                s += "<circle cx=\"\(num(x(i)))\" cy=\"\(num(y(p.value)))\" r=\"3\" fill=\"#3558e6\" class=\"point\" data-value=\"\(p.value)\"><title>\(esc(p.label)): \(p.value) \(esc(unit))</title></circle>"
            }
            // Labels: first, middle and last.
            for i in Set([0, points.count / 2, points.count - 1]).sorted() {
                s += "<text x=\"\(num(x(i)))\" y=\"\(height - 8)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b6478\">\(esc(points[i].label))</text>"
            }
        }
        return s + "</svg>"
    }

    /// A grid of cells (rows × columns) shaded by value, e.g. day of week × hour of day.
    static func heatmap(id: String, title: String, grid: [[Int64]], rowLabels: [String], columnLabels: [String], unit: String) -> String {
        let cell = 24.0, gap = 2.0, padL = 40.0, padT = 18.0
        let cols = grid.first?.count ?? 0
        let width = Int(padL + Double(cols) * (cell + gap)), height = Int(padT + Double(grid.count) * (cell + gap))
        let maxV = max(1, grid.flatMap { $0 }.max() ?? 1)
        var busiest = (r: 0, c: 0, v: Int64(-1))
        for (r, row) in grid.enumerated() { for (c, v) in row.enumerated() where v > busiest.v { busiest = (r, c, v) } }
        var s = "<svg id=\"\(esc(id))\" class=\"chart heatmap\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-labelledby=\"\(esc(id))-t \(esc(id))-d\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += "<title id=\"\(esc(id))-t\">\(esc(title))</title>"
        s += "<desc id=\"\(esc(id))-d\">" + (busiest.v > 0 ? "Busiest: \(esc(rowLabels[busiest.r])) \(esc(columnLabels[busiest.c])) with \(busiest.v) \(esc(unit))." : "No activity in this range.") + "</desc>"
        for (c, label) in columnLabels.enumerated() where c % 3 == 0 {
            s += "<text x=\"\(num(padL + Double(c) * (cell + gap) + cell / 2))\" y=\"12\" text-anchor=\"middle\" font-size=\"10\" fill=\"#5b6478\">\(esc(label))</text>"
        }
        for (r, row) in grid.enumerated() {
            let y = padT + Double(r) * (cell + gap)
            s += "<text x=\"\(num(padL - 6))\" y=\"\(num(y + cell / 2 + 4))\" text-anchor=\"end\" font-size=\"11\" fill=\"#5b6478\">\(esc(rowLabels[r]))</text>"
            for (c, v) in row.enumerated() {
                let o = v == 0 ? 0.04 : 0.15 + 0.85 * Double(v) / Double(maxV)
                s += "<rect x=\"\(num(padL + Double(c) * (cell + gap)))\" y=\"\(num(y))\" width=\"\(num(cell))\" height=\"\(num(cell))\" rx=\"3\" fill=\"#3558e6\" fill-opacity=\"\(String(format: "%.2f", o))\" class=\"cell\" data-row=\"\(r)\" data-col=\"\(c)\" data-value=\"\(v)\">"
                    + "<title>\(esc(rowLabels[r])) \(esc(columnLabels[c])): \(v) \(esc(unit))</title></rect>"
            }
        }
        return s + "</svg>"
    }

    /// Horizontal bars, largest first as given.
    static func bars(id: String, title: String, rows: [(label: String, value: Int64)], unit: String, width: Int = 560) -> String {
        let rowH = 22.0, padL = 110.0, padR = 60.0
        let height = Int(Double(max(rows.count, 1)) * rowH + 8)
        let maxV = max(1, rows.map(\.value).max() ?? 1)
        var s = "<svg id=\"\(esc(id))\" class=\"chart bars\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-labelledby=\"\(esc(id))-t \(esc(id))-d\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += "<title id=\"\(esc(id))-t\">\(esc(title))</title><desc id=\"\(esc(id))-d\">"
            + esc(rows.map { "\($0.label): \($0.value) \(unit)" }.joined(separator: "; ")) + "</desc>"
        for (i, r) in rows.enumerated() {
            let y = 4 + Double(i) * rowH, w = (Double(width) - padL - padR) * Double(r.value) / Double(maxV)
            s += "<text x=\"\(num(padL - 6))\" y=\"\(num(y + 14))\" text-anchor=\"end\" font-size=\"12\" fill=\"#1d2433\">\(esc(r.label))</text>"
            s += "<rect x=\"\(num(padL))\" y=\"\(num(y + 3))\" width=\"\(num(max(w, 1)))\" height=\"\(num(rowH - 8))\" rx=\"3\" fill=\"#3558e6\" class=\"bar\" data-value=\"\(r.value)\"><title>\(esc(r.label)): \(r.value) \(esc(unit))</title></rect>"
            s += "<text x=\"\(num(padL + max(w, 1) + 6))\" y=\"\(num(y + 14))\" font-size=\"12\" fill=\"#5b6478\">\(r.value)</text>"
        }
        return s + "</svg>"
    }

    /// A doughnut of shares; each slice's tooltip gives its percentage.
    static func doughnut(id: String, title: String, slices: [(label: String, value: Int64)], size: Int = 220) -> String {
        let total = slices.reduce(Int64(0)) { $0 + $1.value }
        let colors = ["#3558e6", "#0e9f6e", "#f79009", "#b42318", "#7a5af8", "#06aed4", "#dd2590", "#667085", "#84adff", "#98a2b3"]
        let c = Double(size) / 2, r = c - 10, inner = r * 0.58
        var s = "<svg id=\"\(esc(id))\" class=\"chart doughnut\" viewBox=\"0 0 \(size) \(size)\" role=\"img\" aria-labelledby=\"\(esc(id))-t \(esc(id))-d\" xmlns=\"http://www.w3.org/2000/svg\">"
        func pct(_ v: Int64) -> String { total == 0 ? "0%" : String(format: "%.1f%%", Double(v) * 100 / Double(total)) }
        s += "<title id=\"\(esc(id))-t\">\(esc(title))</title><desc id=\"\(esc(id))-d\">" + esc(slices.map { "\($0.label) \(pct($0.value))" }.joined(separator: ", ")) + "</desc>"
        guard total > 0 else { return s + "<circle cx=\"\(num(c))\" cy=\"\(num(c))\" r=\"\(num(r))\" fill=\"#eef1f7\"/></svg>" }
        var angle = -Double.pi / 2
        for (i, slice) in slices.enumerated() where slice.value > 0 {
            let sweep = 2 * Double.pi * Double(slice.value) / Double(total)
            let end = angle + min(sweep, 2 * Double.pi - 0.0001)
            let large = sweep > Double.pi ? 1 : 0
            let (x0, y0, x1, y1) = (c + r * cos(angle), c + r * sin(angle), c + r * cos(end), c + r * sin(end))
            let (ix0, iy0, ix1, iy1) = (c + inner * cos(end), c + inner * sin(end), c + inner * cos(angle), c + inner * sin(angle))
            s += "<path d=\"M\(num(x0)) \(num(y0)) A\(num(r)) \(num(r)) 0 \(large) 1 \(num(x1)) \(num(y1)) L\(num(ix0)) \(num(iy0)) A\(num(inner)) \(num(inner)) 0 \(large) 0 \(num(ix1)) \(num(iy1)) Z\" fill=\"\(colors[i % colors.count])\" class=\"slice\"><title>\(esc(slice.label)): \(pct(slice.value))</title></path>"
            angle = end
        }
        return s + "</svg>"
    }
}
