/// Every dated statement in date order. A statement is dated by its `date` qualifier, or
/// else by a date as its object (`Article published 2020-07`). An imprecise date is the
/// span it covers: `2020-07` runs from the 1st to the 31st of July. Entries sort by the
/// span's first day, a wider span first (as `order by` sorts dates), then by statement.
struct Timeline {
    struct Entry {
        let statement: StatementID
        let date: DateValue
        /// Who says it (a stance's speaker), or nil for a plain fact.
        let speaker: EntityID?
    }

    let store: FactStore
    let words: CaseWords
    private(set) var entries: [Entry] = []

    /// The dated statements about `entity` (as `statementsAbout` finds them), or every
    /// dated statement of the store.
    init(_ store: FactStore, about entity: EntityID? = nil) {
        self.store = store
        words = CaseWords(store)
        let candidates: [StatementID] = entity.map { store.statementsAbout($0) } ?? Timeline.dated(store, dateKey: words.dateKey)
        for s in candidates {
            let st = store.statement(s)
            var date: DateValue? = nil
            if let k = words.dateKey, case .date(let d)? = st.qualifier(k) { date = d }
            if date == nil, case .date(let d) = st.object { date = d }
            guard let date else { continue }
            var speaker: EntityID? = nil
            if store.isStance(st.predicate), case .entity(let e) = st.subject { speaker = e }
            entries.append(Entry(statement: s, date: date, speaker: speaker))
        }
        entries.sort { a, b in
            if a.date != b.date { return DateValue.sortsBefore(a.date, b.date) }
            return a.statement < b.statement
        }
    }

    /// The asserted statements that may be dated, found through the indexes rather than by
    /// reading every statement: those with a `date` qualifier, and those whose object is
    /// one of the store's date literals.
    static func dated(_ store: FactStore, dateKey: Int32?) -> [StatementID] {
        var found = Set<StatementID>()
        if let k = dateKey, let withDate = store.statements(withKey: k) { found.formUnion(withDate) }
        for i in 0..<store.literals.count where store.literals.date(i) != nil {
            found.formUnion(store.statements(withObject: store.literals[i]))
        }
        return found.filter { store.isAsserted($0) }.sorted()
    }

    /// The span of a date as ISO days: `2020-07` is 2020-07-01 to 2020-07-31.
    static func span(_ d: DateValue) -> (first: String, last: String) {
        func iso(_ n: Int) -> String {
            let y = n / 10000, m = n / 100 % 100, day = n % 100
            return DateValue(year: y, month: m, day: day).description
        }
        return (iso(d.first), iso(d.last))
    }

    /// The terminal's list: one row an entry, for the session's table writer.
    var rows: [[String]] {
        entries.map { e in
            let (first, last) = Timeline.span(e.date)
            let c = words.citation(e.statement)
            var source = c.document.map { store.entities.id(Int($0)) } ?? "\(c.location)"
            if let p = c.paragraph { source += " ¶\(p)" }
            return [
                e.date.description, first, last, e.speaker.map { store.entities.label(Int($0)) } ?? "",
                words.sentence(e.statement), source, Display.statementName(e.statement, store),
            ]
        }
    }
    static let columns = ["date", "from", "to", "speaker", "statement", "source", "st"]

    // MARK: SVG

    /// The timeline drawn by kbq itself: a date axis, one lane per speaker (plain facts in
    /// a lane of their own, first), each entry a bar over its span with its sentence as a
    /// tooltip and a short label; entries that would overlap in a lane take another row.
    func svg(title: String) -> String {
        let laneOrder: [EntityID?] = [nil] + Array(Set(entries.compactMap(\.speaker))).sorted {
            store.entities.label(Int($0)) < store.entities.label(Int($1))
        }
        // The right margin holds the labels of the latest bars.
        let left = 190.0, right = 340.0, top = 56.0, rowHeight = 22.0, width = 1100.0
        let plotWidth = width - left - right
        guard let firstDay = entries.map({ Timeline.day($0.date.first) }).min(),
            let lastDay = entries.map({ Timeline.day($0.date.last) }).max()
        else {
            return Timeline.document(width: width, height: 90, title: title, body: "  <text x=\"20\" y=\"70\" class=\"note\">No dated statements.</text>\n")
        }
        // A month of margin each side, so a day's bar is never on the frame.
        let start = firstDay - 30, end = lastDay + 31
        func x(_ day: Int) -> Double { left + plotWidth * Double(day - start) / Double(max(end - start, 1)) }

        var body = ""
        var y = top
        for lane in laneOrder {
            let laneEntries = entries.filter { $0.speaker == lane }
            guard !laneEntries.isEmpty else { continue }
            // Rows: an entry goes in the first row whose last label ends before it starts.
            var rowEnds: [Double] = []
            var placed: [(Entry, Int, Double, Double, String)] = []
            for e in laneEntries {
                let x0 = x(Timeline.day(e.date.first)), x1 = max(x(Timeline.day(e.date.last) + 1), x0 + 5)
                let label = Timeline.shortLabel(e, store)
                let labelEnd = x1 + 4 + Double(label.count) * 5.6
                let row = rowEnds.firstIndex { $0 < x0 } ?? rowEnds.count
                if row == rowEnds.count { rowEnds.append(labelEnd) } else { rowEnds[row] = labelEnd }
                placed.append((e, row, x0, x1, label))
            }
            let laneHeight = Double(max(rowEnds.count, 1)) * rowHeight + 8
            let name = lane.map { store.entities.label(Int($0)) } ?? "facts (asserted)"
            body += "  <g class=\"lane\">\n"
            body += "    <rect x=\"0\" y=\"\(Timeline.n(y))\" width=\"\(Timeline.n(width))\" height=\"\(Timeline.n(laneHeight))\" class=\"band\"/>\n"
            body += "    <text x=\"10\" y=\"\(Timeline.n(y + 16))\" class=\"speaker\">\(XML.escaped(Timeline.clipped(name, 30)))</text>\n"
            for (e, row, x0, x1, label) in placed {
                let ry = y + 4 + Double(row) * rowHeight
                let family = store.isStance(store.statement(e.statement).predicate)
                    ? StanceFamily.of(store.statement(e.statement).predicate, store) : nil
                let color = family.map(ClaimGraph.color) ?? "#555555"
                let tip = words.sentence(e.statement) + " — " + words.citationText(words.citation(e.statement))
                body += "    <g class=\"entry\"><title>\(XML.escaped(e.date.description + ": " + tip))</title>"
                body += "<rect x=\"\(Timeline.n(x0))\" y=\"\(Timeline.n(ry))\" width=\"\(Timeline.n(x1 - x0))\" height=\"14\" rx=\"3\" fill=\"\(color)\" fill-opacity=\"0.75\"/>"
                body += "<text x=\"\(Timeline.n(x1 + 4))\" y=\"\(Timeline.n(ry + 11))\">\(XML.escaped(label))</text></g>\n"
            }
            body += "  </g>\n"
            y += laneHeight
        }
        // The axis: a tick at each year, or each month when the span is short.
        let months = (end - start) < 3 * 366
        var axis = "  <line x1=\"\(Timeline.n(left))\" y1=\"\(Timeline.n(top - 8))\" x2=\"\(Timeline.n(width - right))\" y2=\"\(Timeline.n(top - 8))\" class=\"axis\"/>\n"
        let (y0, _, _) = Timeline.civil(start)
        let (y1, _, _) = Timeline.civil(end)
        var firstTick = true
        // Over many years, a tick every 1, 2, 5, 10, 20, 50... years: at most a dozen or so.
        let step = months ? 1 : [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].first { (y1 - y0) / $0 <= 12 } ?? 10000
        for year in y0...y1 where months || year % step == 0 {
            for month in (months ? Array(1...12) : [1]) {
                let d = Timeline.day(year * 10000 + month * 100 + 1)
                guard d >= start && d <= end else { continue }
                let tx = x(d)
                let monthName = String(CaseWords.monthNames[month - 1].prefix(3))
                let label = months ? (month == 1 || firstTick ? "\(monthName) \(year)" : monthName) : "\(year)"
                firstTick = false
                axis += "  <line x1=\"\(Timeline.n(tx))\" y1=\"\(Timeline.n(top - 12))\" x2=\"\(Timeline.n(tx))\" y2=\"\(Timeline.n(y))\" class=\"tick\"/>\n"
                axis += "  <text x=\"\(Timeline.n(tx + 2))\" y=\"\(Timeline.n(top - 16))\" class=\"tick-label\">\(label)</text>\n"
            }
        }
        return Timeline.document(width: width, height: y + 12, title: title, body: axis + body)
    }

    static func document(width: Double, height: Double, title: String, body: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" viewBox="0 0 \(n(width)) \(n(height))" font-family="Helvetica, Arial, sans-serif" font-size="11">
          <title>\(XML.escaped(title))</title>
          <style>.band{fill:#f7f7f7;stroke:#e2e2e2}.speaker{font-weight:bold;fill:#333}.axis{stroke:#333}.tick{stroke:#ddd}.tick-label{fill:#555;font-size:10px}.note{fill:#555}</style>
          <text x="10" y="20" font-size="14" font-weight="bold">\(XML.escaped(title))</text>

        """ + body + "</svg>\n"
    }

    /// A few words for a bar: the predicate and what it is about.
    static func shortLabel(_ e: Entry, _ store: FactStore) -> String {
        let st = store.statement(e.statement)
        let object: String
        switch st.object {
        case .entity(let o): object = store.entities.label(Int(o))
        case .proposition(let p):
            let inner = store.statement(p)
            object = "[" + (inner.subject.entityID.map { store.entities.label(Int($0)) } ?? Display.plain(inner.subject, store))
                + " " + store.predicateName(inner.predicate) + " …]"
        default: object = Display.plain(st.object, store)
        }
        let subject = e.speaker == nil ? (st.subject.entityID.map { store.entities.label(Int($0)) } ?? Display.plain(st.subject, store)) + " " : ""
        return clipped(subject + store.predicateName(st.predicate) + " " + object, 60)
    }

    static func clipped(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    /// A number for SVG: at most one decimal.
    static func n(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    /// Days since 1970-01-01 of a yyyymmdd number (the proleptic Gregorian calendar).
    static func day(_ ymd: Int) -> Int {
        var y = ymd / 10000
        let m = ymd / 100 % 100, d = ymd % 100
        y -= m <= 2 ? 1 : 0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The year, month and day of a day number (the inverse of `day`).
    static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
