#if canImport(Glibc)
import Glibc
#endif
/// A conjunctive query (patterns, `is_a`, filters, `not`, `optional`, `or`: the shape of
/// most questions) as steps over term ids, for BatchJoin to run; and the encoding of a
/// binding as a machine word, shared with Answers. A step names its positions as constants
/// (stored terms), variables (numbers) or `_`, so a candidate is checked by comparing
/// integers from the store's columns, and a `Value` is made only for a filter's operands
/// and for each answer.
enum JoinPlan {
    /// A position of a pattern.
    struct Position {
        enum Kind { case wildcard, constant, variable }
        var kind: Kind
        /// An encoded constant (see `encode`), or the variable's number.
        var value: UInt64
        var variable: Int
    }

    /// A class: a step is read at every candidate, and a struct of arrays would be
    /// retained field by field each time.
    final class PatternStep {
        let subject: Position
        let object: Position
        let qualifiers: [(key: Int32, position: Position)]
        /// The predicates a statement may have (with their sub-predicates), or nil for any.
        let predicates: [PredicateID]?
        let allowed: [Bool]?
        let predicateVariable: Int?
        let statementVariable: Int?
        let quoted: Bool
        /// A constant the store does not hold: nothing matches.
        let impossible: Bool
        let hasQualifiers: Bool
        /// A quoted pattern at the subject or object (`?who claims [?x ?p ?y]`): that end
        /// must be a proposition whose statement matches it.
        let subjectPattern: PatternStep?
        let objectPattern: PatternStep?

        init(subject: Position, object: Position, qualifiers: [(key: Int32, position: Position)], predicates: [PredicateID]?, allowed: [Bool]?, predicateVariable: Int?, statementVariable: Int?, quoted: Bool, impossible: Bool, subjectPattern: PatternStep? = nil, objectPattern: PatternStep? = nil) {
            self.subject = subject
            self.object = object
            self.qualifiers = qualifiers
            self.predicates = predicates
            self.allowed = allowed
            self.predicateVariable = predicateVariable
            self.statementVariable = statementVariable
            self.quoted = quoted
            self.impossible = impossible
            hasQualifiers = !qualifiers.isEmpty
            self.subjectPattern = subjectPattern
            self.objectPattern = objectPattern
        }

        /// The variables a match binds, each once, its quoted patterns' included.
        var variables: [Int] {
            var vars: [Int] = []
            func add(_ v: Int?) { if let v, !vars.contains(v) { vars.append(v) } }
            func add(_ p: Position) { if p.kind == .variable { add(p.variable) } }
            add(subject)
            if let inner = subjectPattern { for v in inner.variables { add(v) } }
            add(object)
            if let inner = objectPattern { for v in inner.variables { add(v) } }
            for q in qualifiers { add(q.position) }
            add(predicateVariable)
            add(statementVariable)
            return vars
        }
    }

    /// `?x is_a T`, `?x is_a ?t`: entity numbers against the type lists of the entity
    /// table, in the order the general evaluator meets them (`Execution.solveIsA`).
    final class IsAStep {
        let subject: Position
        /// A constant is `typeTag | t`.
        let type: Position

        init(subject: Position, type: Position) {
            self.subject = subject
            self.type = type
        }
    }

    /// `?x (employed_by|board_member_of)/located_in ?c`: a path of steps, alternatives and
    /// inverses of one predicate (those `Execution.termReach` walks), from each row's
    /// bound end, or from every node its predicates touch when neither end is bound.
    final class PathStep {
        let subject: Position
        let object: Position
        let path: CompiledPath
        /// The most statements a chain of the path crosses: the evidence slots it takes
        /// after its marker (see `pathMarker`).
        let chainSlots: Int

        init(subject: Position, object: Position, path: CompiledPath, chainSlots: Int) {
            (self.subject, self.object, self.path, self.chainSlots) = (subject, object, path, chainSlots)
        }

        var variables: [Int] {
            var vars: [Int] = []
            for p in [subject, object] where p.kind == .variable && !vars.contains(p.variable) { vars.append(p.variable) }
            return vars
        }
    }

    /// A call of a rule whose relation a join may read (`RuleEngine.joinable`): its
    /// tuples, each matched against the arguments.
    final class CallStep {
        /// The rule's number in its engine.
        let rule: Int
        let arguments: [Position]

        init(rule: Int, arguments: [Position]) {
            (self.rule, self.arguments) = (rule, arguments)
        }

        var variables: [Int] {
            var vars: [Int] = []
            for p in arguments where p.kind == .variable && !vars.contains(p.variable) { vars.append(p.variable) }
            return vars
        }
    }

    indirect enum Step {
        case pattern(PatternStep)
        case isA(IsAStep)
        case path(PathStep)
        case call(CallStep)
        /// A filter, the variables it reads, and for a filter of one variable the number of
        /// its memo (its truth depends on that binding alone).
        case filter(CompiledExpr, [Int], memo: Int?, quick: QuickComparison?)
        /// A filter the pattern step before it applies (`narrowedByFilter`): it does
        /// nothing, and keeps the steps one to a goal (as `.explain` reads them).
        case absorbed
        case not([Step])
        case optional([Step])
        case or([[Step]])
    }

    // Encoded bindings: 0 unbound; a stored term, a predicate or a statement, tagged.
    static let termTag: UInt64 = 1 << 32
    static let predicateTag: UInt64 = 2 << 32
    static let statementTag: UInt64 = 3 << 32
    /// A type (the object of `is_a`); 4 << 32 is Answers' tag for boxed values.
    static let typeTag: UInt64 = 5 << 32

    /// The evidence `.typeOf(e, t)` in the statement list of an answer, as a negative
    /// StatementID: the sign bit, a zero bit, six bits of type and 24 of entity (with the
    /// second bit set, the word is a rule's derivation: `RuleEngine.derivationWord`). An
    /// `is_a` step whose entities or types do not fit is left to the general evaluator
    /// (see `plan`).
    static func typeEvidence(_ e: EntityID, _ t: Int32) -> StatementID {
        StatementID(bitPattern: 0x8000_0000 | UInt32(t) << 24 | UInt32(e))
    }
    /// Below `1 << 24`: the last 256 entity numbers of the last type are path markers.
    static let maxEvidenceEntities = 1 << 24 - 256
    static let maxEvidenceTypes = 1 << 6

    /// A path's chain in an answer's statement list: this marker, then the chain's `n`
    /// statements (`n` < 255). It is above every derivation's word (see
    /// `RuleEngine.derivation`), and never `BindingBatch.noStatement` (-1).
    static func pathMarker(_ n: Int) -> StatementID { StatementID(bitPattern: 0xFFFF_FF00 | UInt32(n)) }

    /// The chain length a path marker stands for; nil for anything else.
    @inline(__always) static func pathLength(_ s: StatementID) -> Int? {
        let bits = UInt32(bitPattern: s)
        return bits & 0xFFFF_FF00 == 0xFFFF_FF00 && bits != 0xFFFF_FFFF ? Int(bits & 0xFF) : nil
    }

    /// An answer's statement list as Evidence: each statement (or type) on its own, a
    /// path's marker and chain as one `.path`, a rule's derivation as its `.rule` (read
    /// from `rules`, which a list with derivations needs).
    static func evidence<C: Collection>(list: C, rules: RuleEngine?) -> [Evidence] where C.Element == StatementID {
        var out: [Evidence] = []
        out.reserveCapacity(list.count)
        var i = list.startIndex
        while i != list.endIndex {
            let s = list[i]
            list.formIndex(after: &i)
            guard let n = pathLength(s) else {
                out.append(evidence(s, rules: rules))
                continue
            }
            var chain: [StatementID] = []
            chain.reserveCapacity(n)
            for _ in 0..<n where i != list.endIndex {
                chain.append(list[i])
                list.formIndex(after: &i)
            }
            out.append(.path(chain))
        }
        return out
    }

    /// A binding as a Value (never 0, unbound; Answers has a tag of its own for boxed values).
    /// `literals`: the store's table, held by the caller in a constant: read through the
    /// store at each binding, it was copied (a retain of each of its arrays) every time.
    @inline(__always) static func decode(_ b: UInt64, _ literals: LiteralTable) -> Value {
        switch b & ~0xFFFF_FFFF {
        case typeTag: return .type(Int32(bitPattern: UInt32(truncatingIfNeeded: b)))
        case termTag:
            let t = Term(raw: UInt32(truncatingIfNeeded: b))
            switch t.kind {
            case Term.entityKind: return .entity(EntityID(t.index))
            case Term.propositionKind: return .proposition(StatementID(t.index))
            default: return literals[t.index]
            }
        case predicateTag: return .predicate(PredicateID(bitPattern: UInt32(truncatingIfNeeded: b)))
        default: return .statement(StatementID(bitPattern: UInt32(truncatingIfNeeded: b)))
        }
    }

    /// A word of a join's evidence list other than a path's as Evidence: a rule's
    /// derivation (read from `rules`), a type's evidence or a statement.
    static func evidence(_ s: StatementID, rules: RuleEngine?) -> Evidence {
        if let d = RuleEngine.derivation(s), let rules { return rules.derivationEvidence(d) }
        return evidence(s)
    }

    /// A statement id of a join's evidence list as Evidence (see `typeEvidence`).
    static func evidence(_ s: StatementID) -> Evidence {
        guard s < 0 else { return .statement(s) }
        let bits = UInt32(bitPattern: s)
        return .typeOf(EntityID(bits & 0xFF_FFFF), Int32(bits >> 24 & 0x7F))
    }

    /// A query's goals as join steps, made once per prepared query.
    struct Program {
        let steps: [Step]
        let memoCount: Int

        init(steps: [Step], memoCount: Int) {
            self.steps = steps
            self.memoCount = memoCount
        }

        /// nil when a goal is a rule call, a closure (`p+`, `p*`) or another path the term
        /// walk does not take, or a type test whose entities or types do not fit the
        /// evidence's encoding: the general evaluator takes those.
        init?(_ goals: [Goal], _ store: FactStore, rules: RuleEngine? = nil) {
            var memoCount = 0
            guard let steps = JoinPlan.plan(goals, store, &memoCount, rules) else { return nil }
            self.steps = steps
            self.memoCount = memoCount
        }
    }

    /// A filter that only says which predicate a pattern step's predicate variable is or
    /// is not (`?p != is_a`, `?p = knows`), taken into the step's predicates when the step
    /// is the last one before it but filters: the step then reads only statements the
    /// filter keeps (by the predicate's own list, for `=`), and no filter step is left.
    /// A predicate is equal only to itself (`ValueOps.equal`): no sub-predicate is meant.
    static func narrowedByFilter(_ steps: [Step], _ quick: QuickComparison, _ store: FactStore) -> (at: Int, step: PatternStep)? {
        guard quick.op == .equal || quick.op == .notEqual, case .encoded(let c) = quick.constant, c & ~0xFFFF_FFFF == predicateTag,
              let at = steps.lastIndex(where: { switch $0 { case .filter, .absorbed: false; default: true } }),
              case .pattern(let p) = steps[at], p.predicateVariable == quick.variable
        else { return nil }
        let predicate = Int(UInt32(truncatingIfNeeded: c))
        var allowed = p.allowed ?? Array(repeating: true, count: store.predicates.count)
        guard predicate < allowed.count else { return nil }
        var predicates = p.predicates
        if quick.op == .equal {
            let was = allowed[predicate]
            allowed = Array(repeating: false, count: allowed.count)
            allowed[predicate] = was
            predicates = was ? [PredicateID(predicate)] : []
        } else {
            allowed[predicate] = false
            predicates = predicates?.filter { Int($0) != predicate }
        }
        return (at, PatternStep(
            subject: p.subject, object: p.object, qualifiers: p.qualifiers, predicates: predicates, allowed: allowed,
            predicateVariable: p.predicateVariable, statementVariable: p.statementVariable, quoted: p.quoted,
            impossible: p.impossible, subjectPattern: p.subjectPattern, objectPattern: p.objectPattern))
    }

    static func plan(_ goals: [Goal], _ store: FactStore, _ memoCount: inout Int, _ rules: RuleEngine?) -> [Step]? {
        var steps: [Step] = []
        for g in goals {
            switch g {
            case .filter(let e, _):
                let vars = Planner.uses(e).sorted()
                var memo: Int? = nil
                if vars.count == 1 {
                    memo = memoCount
                    memoCount += 1
                }
                let quick = QuickComparison(e)
                if let quick, let narrowed = narrowedByFilter(steps, quick, store) {
                    steps[narrowed.at] = .pattern(narrowed.step)
                    steps.append(.absorbed)
                    continue
                }
                steps.append(.filter(e, vars, memo: memo, quick: quick))
            case .pattern(let p):
                if case .isA = p.path {
                    guard let step = JoinPlan.planIsA(p, store) else { return nil }
                    steps.append(.isA(step))
                    continue
                }
                if let step = planPath(p, store) {
                    steps.append(.path(step))
                    continue
                }
                guard let step = JoinPlan.plan(p, store) else { return nil }
                steps.append(.pattern(step))
            case .not(let inner, _):
                guard let s = plan(inner, store, &memoCount, rules) else { return nil }
                steps.append(.not(s))
            case .optional(let inner, _):
                guard let s = plan(inner, store, &memoCount, rules) else { return nil }
                steps.append(.optional(s))
            case .or(let branches):
                var planned: [[Step]] = []
                for b in branches {
                    guard let s = plan(b, store, &memoCount, rules) else { return nil }
                    planned.append(s)
                }
                steps.append(.or(planned))
            case .call(let name, let args, _):
                guard let rules, let n = rules.numbers[name], rules.joinable[n] else { return nil }
                var arguments: [Position] = []
                for a in args {
                    switch a {
                    case .wildcard: arguments.append(Position(kind: .wildcard, value: 0, variable: -1))
                    case .variable(let v): arguments.append(Position(kind: .variable, value: 0, variable: v))
                    // A value no stored term is matches no tuple of a joinable relation.
                    case .constant(let c): arguments.append(Position(kind: .constant, value: rules.encode(c), variable: -1))
                    case .proposition: return nil
                    }
                }
                steps.append(.call(CallStep(rule: n, arguments: arguments)))
            }
        }
        return steps
    }

    static func plan(_ p: CompiledPattern, _ store: FactStore) -> PatternStep? {
        var impossible = false
        func position(_ s: Slot) -> Position {
            switch s {
            case .wildcard, .proposition: return Position(kind: .wildcard, value: 0, variable: -1)
            case .variable(let v): return Position(kind: .variable, value: 0, variable: v)
            case .constant(let v):
                guard let t = store.term(for: v) else {
                    impossible = true
                    return Position(kind: .constant, value: 0, variable: -1)
                }
                return Position(kind: .constant, value: termTag | UInt64(t.raw), variable: -1)
            }
        }
        // A quoted pattern: its own step, matched against the proposition at that end.
        func nested(_ s: Slot) -> PatternStep?? {
            guard case .proposition(let inner) = s else { return .some(nil) }
            guard let step = plan(inner, store) else { return nil }
            return .some(step)
        }
        guard let subjectPattern = nested(p.subject), let objectPattern = nested(p.object) else { return nil }
        let subject = position(p.subject)
        let object = position(p.object)
        var qualifiers: [(key: Int32, position: Position)] = []
        for q in p.qualifiers {
            guard case .proposition = q.slot else {
                qualifiers.append((q.key, position(q.slot)))
                continue
            }
            return nil
        }
        var predicates: [PredicateID]? = nil
        var allowed: [Bool]? = nil
        var predicateVariable: Int? = nil
        switch p.path {
        case .predicates(let ps):
            predicates = ps
            var table = Array(repeating: false, count: store.predicates.count)
            for x in ps where Int(x) < table.count { table[Int(x)] = true }
            allowed = table
        case .variable(let v): predicateVariable = v
        case .any: break
        default: return nil
        }
        return PatternStep(
            subject: subject, object: object, qualifiers: qualifiers, predicates: predicates, allowed: allowed,
            predicateVariable: predicateVariable, statementVariable: p.statementVar, quoted: p.quoted,
            impossible: impossible || subjectPattern?.impossible == true || objectPattern?.impossible == true,
            subjectPattern: subjectPattern, objectPattern: objectPattern)
    }

    /// A pattern whose path `Execution.termReach` walks (and is not one predicate, which
    /// `plan` reads as a pattern): nil otherwise, or when the pattern names its statement
    /// or has qualifiers or quoted ends (a path has no statement of its own).
    static func planPath(_ p: CompiledPattern, _ store: FactStore) -> PathStep? {
        switch p.path {
        case .predicates, .variable, .any, .isA: return nil
        default: break
        }
        guard Execution.walksTerms(p.path), p.qualifiers.isEmpty, p.statementVar == nil, !p.quoted,
            let slots = chainSlots(p.path, store), slots < 255
        else { return nil }
        func position(_ s: Slot) -> Position? {
            switch s {
            case .wildcard: return Position(kind: .wildcard, value: 0, variable: -1)
            case .variable(let v): return Position(kind: .variable, value: 0, variable: v)
            case .proposition: return nil
            case .constant(let v):
                // A constant the store does not hold starts or ends no chain: an encoding
                // no term has (a statement's tag) matches nothing.
                guard let t = store.term(for: v) else { return Position(kind: .constant, value: statementTag | 0xFFFF_FFFF, variable: -1) }
                return Position(kind: .constant, value: termTag | UInt64(t.raw), variable: -1)
            }
        }
        guard let subject = position(p.subject), let object = position(p.object) else { return nil }
        return PathStep(subject: subject, object: object, path: p.path, chainSlots: slots)
    }

    /// The most statements a chain of `path` crosses; nil when there is no bound. A
    /// closure is bounded by its graph in `store` (`ClosureDepths`), and without a store
    /// has none.
    static func chainSlots(_ path: CompiledPath, _ store: FactStore? = nil) -> Int? {
        switch path {
        case .predicates: return 1
        case .inverse(let inner): return chainSlots(inner, store)
        case .sequence(let parts): return parts.reduce(0 as Int?) { sum, p in sum.flatMap { s in chainSlots(p, store).map { s + $0 } } }
        case .alternative(let parts): return parts.reduce(0 as Int?) { most, p in most.flatMap { m in chainSlots(p, store).map { max(m, $0) } } }
        case .oneOrMore(let inner), .zeroOrMore(let inner):
            guard let store, let step = inner.singleStep else { return nil }
            return store.closureChainBound(step.predicates)
        default: return nil
        }
    }

    /// Whether `steps` (inner ones included) hold a path step.
    static func hasPath(_ steps: [Step]) -> Bool {
        steps.contains { step in
            switch step {
            case .path: return true
            case .not(let inner), .optional(let inner): return hasPath(inner)
            case .or(let branches): return branches.contains(where: hasPath)
            case .pattern, .isA, .call, .filter, .absorbed: return false
            }
        }
    }

    static func planIsA(_ p: CompiledPattern, _ store: FactStore) -> IsAStep? {
        guard store.entities.count < maxEvidenceEntities, store.types.count < maxEvidenceTypes else { return nil }
        let subject: Position
        switch p.subject {
        case .wildcard: subject = Position(kind: .wildcard, value: 0, variable: -1)
        case .variable(let v): subject = Position(kind: .variable, value: 0, variable: v)
        case .constant(.entity(let e)): subject = Position(kind: .constant, value: termTag | UInt64(Term(entity: e).raw), variable: -1)
        default: return nil
        }
        let type: Position
        switch p.object {
        case .variable(let v): type = Position(kind: .variable, value: 0, variable: v)
        case .constant(.type(let t)): type = Position(kind: .constant, value: typeTag | UInt64(UInt32(bitPattern: t)), variable: -1)
        default: return nil
        }
        return IsAStep(subject: subject, type: type)
    }
}

extension Execution {
    /// Solves a query's goals: over term ids by `program` (the prepared query's join steps)
    /// when there is one, by the general evaluator otherwise (rule calls, closures, quoted
    /// sub-patterns with qualifiers).
    func solveTop(_ goals: [Goal], join: BatchJoin?, reading: [Int]? = nil, _ k: () throws -> Void) throws {
        if let join {
            try join.run(reading: reading, k)
        } else {
            try solve(goals, 0, k)
        }
    }
}

/// `?d >= 2018-01-01`, `?n < 5`: a variable ordered against a date or an integer, decided
/// from the literal's packed payload when the variable holds a stored date or integer (as
/// `ValueOps.compare` would decide it), without making Values; and `?x contains "text"` or
/// `?x.label contains "text"`, decided on an entity's label bytes when both texts are plain
/// ASCII (as `ValueOps.asciiContains` decides it). Anything else returns nil.
struct QuickComparison {
    /// `labelContains`: the needle, and whether the text is the variable's `.label` (an
    /// entity's; a literal has none) or its own (an entity's label, a literal's text).
    enum Constant { case date(DateValue), integer(Int), labelContains([UInt8], labelField: Bool), encoded(UInt64) }
    let variable: Int
    /// The operator with the variable on the left.
    let op: CompareOp
    let constant: Constant
    /// The comparison as plain values (nil for a label's `contains`), made once.
    private(set) var plain: Plain? = nil

    init?(_ e: CompiledExpr) {
        guard let made = QuickComparison(made: e) else { return nil }
        self = made
        plain = Self.plain(op, constant)
    }

    /// A comparison of a date, an integer or an encoded constant, as plain values: copied
    /// with no retain (a scan checks one at every candidate, and copying a
    /// QuickComparison, whose constant may hold an array, went through its value witness).
    struct Plain {
        enum Kind: UInt8 { case date, integer, encoded }
        let kind: Kind
        let op: CompareOp
        let encoded: UInt64
        let date: DateValue
        let integer: Int

        /// As `QuickComparison.truth`.
        @inline(__always) func truth(_ b: UInt64, _ literals: LiteralTable) -> Bool? {
            if kind == .encoded {
                // Unbound, or a value kept boxed (Answers' tag): the general evaluator decides.
                guard b != 0, b & ~0xFFFF_FFFF != Answers.boxTag else { return nil }
                return (b == encoded) == (op == .equal)
            }
            guard b & ~0xFFFF_FFFF == JoinPlan.termTag else { return nil }
            let t = Term(raw: UInt32(truncatingIfNeeded: b))
            guard t.kind == Term.literalKind else { return nil }
            if kind == .date {
                guard let x = literals.date(t.index) else { return nil }
                switch op {
                case .within: return x.isWithin(date)
                case .less: return x.isBefore(date)
                case .lessOrEqual: return !date.isBefore(x)
                case .greater: return date.isBefore(x)
                default: return !x.isBefore(date)
                }
            }
            guard let x = literals.integer(t.index) else { return nil }
            switch op {
            case .less: return x < integer
            case .lessOrEqual: return x <= integer
            case .greater: return x > integer
            default: return x >= integer
            }
        }
    }

    private static func plain(_ op: CompareOp, _ constant: Constant) -> Plain? {
        switch constant {
        case .labelContains: return nil
        case .encoded(let c): return Plain(kind: .encoded, op: op, encoded: c, date: DateValue(year: 0), integer: 0)
        case .date(let d): return Plain(kind: .date, op: op, encoded: 0, date: d, integer: 0)
        case .integer(let n): return Plain(kind: .integer, op: op, encoded: 0, date: DateValue(year: 0), integer: n)
        }
    }

    private init?(made e: CompiledExpr) {
        if case .compare(.contains, var l, .slot(.constant(.string(let needle))), _) = e {
            // `contains` compares lower-cased texts, and on ASCII (the only texts read
            // here: any other is undecided, for the filter itself to decide) lower-casing
            // an upper-cased or lower-cased text gives the text's own: `upper(?x.label)
            // contains "DVORAK"` is `?x.label contains "DVORAK"`.
            if case .function(let f, let arguments, _) = l, [.upper, .lower, .str].contains(f), arguments.count == 1 { l = arguments[0] }
            let v: Int
            let labelField: Bool
            switch l {
            case .slot(.variable(let x)): (v, labelField) = (x, false)
            case .field(.slot(.variable(let x)), .named(.label), _): (v, labelField) = (x, true)
            default: return nil
            }
            let bytes = Array(needle.utf8)
            guard bytes.withUnsafeBufferPointer(ValueOps.isPlainASCII) else { return nil }
            (variable, op, constant) = (v, .contains, .labelContains(bytes, labelField: labelField))
            return
        }
        if case .compare(let op, let l, let r, _) = e, op == .equal || op == .notEqual {
            // An entity, predicate or type is equal only to itself (`ValueOps.equal`), and
            // the store interns each: equal values are equal bindings.
            let v: Int
            let c: Value
            switch (l, r) {
            case (.slot(.variable(let x)), .slot(.constant(let k))), (.slot(.constant(let k)), .slot(.variable(let x))): (v, c) = (x, k)
            default: return nil
            }
            let encoded: UInt64
            switch c {
            case .entity(let e): encoded = JoinPlan.termTag | UInt64(Term(entity: e).raw)
            case .predicate(let p): encoded = JoinPlan.predicateTag | UInt64(UInt32(bitPattern: p))
            case .type(let t): encoded = JoinPlan.typeTag | UInt64(UInt32(bitPattern: t))
            default: return nil
            }
            (variable, self.op, constant) = (v, op, .encoded(encoded))
            return
        }
        // `?d in 2019` (or a month): a date literal within the constant's period.
        if case .compare(.within, .slot(.variable(let v)), .slot(.constant(let c)), _) = e {
            switch c {
            case .date(let d): (variable, op, constant) = (v, .within, .date(d))
            case .integer(let y) where (1000...9999).contains(y): (variable, op, constant) = (v, .within, .date(DateValue(year: y)))
            default: return nil
            }
            return
        }
        guard case .compare(var op, let l, let r, _) = e, [.less, .lessOrEqual, .greater, .greaterOrEqual].contains(op) else { return nil }
        var variable: Int
        var constant: Value
        switch (l, r) {
        case (.slot(.variable(let v)), .slot(.constant(let c))): (variable, constant) = (v, c)
        case (.slot(.constant(let c)), .slot(.variable(let v))):
            (variable, constant) = (v, c)
            op = [.less: .greater, .lessOrEqual: .greaterOrEqual, .greater: .less, .greaterOrEqual: .lessOrEqual][op]!
        default: return nil
        }
        switch constant {
        case .date(let d): self.constant = .date(d)
        case .integer(let n): self.constant = .integer(n)
        default: return nil
        }
        self.variable = variable
        self.op = op
    }

    @inline(__always) func truth(_ b: UInt64, _ literals: LiteralTable, _ entities: EntityTable) -> Bool? {
        guard case .labelContains(let needle, let labelField) = constant else { return plain!.truth(b, literals) }
        guard b & ~0xFFFF_FFFF == JoinPlan.termTag else { return nil }
        let t = Term(raw: UInt32(truncatingIfNeeded: b))
        // An entity's label, or a string literal's text (as `ValueOps.asciiContains`); a
        // literal's `.label` is no record, which the filter itself reads.
        if labelField, t.kind != Term.entityKind { return nil }
        switch t.kind {
        case Term.entityKind:
            return entities.withLabelBytes(t.index) { hay -> Bool? in
                guard ValueOps.isPlainASCII(hay) else { return nil }
                return needle.withUnsafeBufferPointer { ValueOps.lowercasedFind($0, in: hay) }
            }
        case Term.literalKind:
            return literals.withStringBytes(t.index) { hay -> Bool? in
                guard let hay, ValueOps.isPlainASCII(hay) else { return nil }
                return needle.withUnsafeBufferPointer { ValueOps.lowercasedFind($0, in: hay) }
            }
        default:
            return nil
        }
    }
}

/// Comparisons of one binding that must all hold, the plain ones (see
/// `QuickComparison.Plain`) kept apart so that checking them copies no QuickComparison.
struct QuickChecks {
    private let plain: [QuickComparison.Plain]
    private let others: [QuickComparison]

    init(_ checks: [QuickComparison]) {
        plain = checks.compactMap(\.plain)
        others = checks.filter { $0.plain == nil }
    }

    /// No checks at all: a caller reading every entry of a list tests it once per entry
    /// instead of calling `truth` (a call, not inlined, that still cost a count along a
    /// link with no filter a fifth of its time).
    var isEmpty: Bool { plain.isEmpty && others.isEmpty }

    /// False when one is false; nil when none is false and one cannot decide (the general
    /// evaluator then does); true when all hold.
    @inline(__always) func truth(_ b: UInt64, _ literals: LiteralTable, _ entities: EntityTable) -> Bool? {
        var decided = true
        for i in plain.indices {
            guard let t = plain[i].truth(b, literals) else {
                decided = false
                continue
            }
            if !t { return false }
        }
        for i in others.indices {
            guard let t = others[i].truth(b, literals, entities) else {
                decided = false
                continue
            }
            if !t { return false }
        }
        return decided ? true : nil
    }
}

/// A filter's truth by binding: open addressing over 64-bit bindings, a power of two in
/// size and at most half full.
struct TermMemo {
    private var keys: [UInt64] = []
    private var truths: [Bool] = []
    private var count = 0

    @inline(__always) func truth(of b: UInt64) -> Bool? {
        guard !keys.isEmpty else { return nil }
        let key = b &+ 1
        var slot = TermMemo.hash(key) & (keys.count - 1)
        while keys[slot] != 0 {
            if keys[slot] == key { return truths[slot] }
            slot = (slot + 1) & (keys.count - 1)
        }
        return nil
    }

    mutating func remember(_ b: UInt64, _ truth: Bool) {
        if (count + 1) * 2 > keys.count { grow() }
        let key = b &+ 1
        var slot = TermMemo.hash(key) & (keys.count - 1)
        while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & (keys.count - 1) }
        if keys[slot] == 0 { count += 1 }
        keys[slot] = key
        truths[slot] = truth
    }

    private mutating func grow() {
        let (oldKeys, oldTruths) = (keys, truths)
        keys = Array(repeating: 0, count: max(256, keys.count * 2))
        truths = Array(repeating: false, count: keys.count)
        for (slot, k) in oldKeys.enumerated() where k != 0 {
            var to = TermMemo.hash(k) & (keys.count - 1)
            while keys[to] != 0 { to = (to + 1) & (keys.count - 1) }
            keys[to] = k
            truths[to] = oldTruths[slot]
        }
    }

    @inline(__always) private static func hash(_ k: UInt64) -> Int {
        Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }
}
