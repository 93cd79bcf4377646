/// `--format dot` and `--format svg`: the entities, statements and propositions in a
/// query's rows, drawn as a claim graph when the answer ends (a graph is laid out whole).
/// A statement bound with `as ?st` is an edge; a proposition is drawn through the stances
/// that say it; an entity alone is a node.
final class GraphRowWriter: RowWriter {
    let out: TextOutput
    let svg: Bool
    private var graph: ClaimGraph

    init(out: TextOutput, store: FactStore, svg: Bool) {
        self.out = out
        self.svg = svg
        graph = ClaimGraph(store)
    }

    func begin(columns: [String]) throws {}

    func row(_ values: [Value], number: Int) throws {
        for v in values {
            switch v {
            case .statement(let s), .proposition(let s): graph.add(s)
            case .entity(let e): graph.add(entity: e)
            default: break
            }
        }
        guard graph.statements.count <= ClaimGraph.maxStatements else {
            throw Graphviz.Failure(message: "the answer holds more than \(ClaimGraph.maxStatements) statements, more than a graph can show: narrow the query or add a limit")
        }
    }

    func end(rowCount: Int) throws {
        let dot = graph.dot(title: "kbq: \(rowCount) row\(rowCount == 1 ? "" : "s")")
        try out.write(svg ? try Graphviz.svg(dot) : dot)
        try out.flush()
    }
}
