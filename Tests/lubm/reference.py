#!/usr/bin/env python3
"""The independent answer to LUBM's 14 queries: the ontology and University0_0 data
materialised by an OWL 2 RL reasoner (owlrl, over rdflib), then queried in SPARQL by
pyoxigraph. Prints one JSON object {"Q1": count, ...}. Used by the tests to check kbq's
rules and queries (Tests/lubm/)."""
import json, sys, io
import owlrl, rdflib, pyoxigraph

lubm = sys.argv[1]
g = rdflib.Graph()
g.parse(f"{lubm}/univ-bench.ntriples", format="nt")
g.parse(f"{lubm}/University0_0.ntriples", format="nt")
owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
store = pyoxigraph.Store()
# OWL RL closure also derives generalised triples (a literal as subject): not RDF, left out.
clean = rdflib.Graph()
for t in g:
    if not isinstance(t[0], rdflib.Literal) and not isinstance(t[1], rdflib.Literal):
        clean.add(t)
store.load(clean.serialize(format="nt").encode(), format=pyoxigraph.RdfFormat.N_TRIPLES)

P = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> PREFIX ub: <http://swat.cse.lehigh.edu/onto/univ-bench.owl#> "
D, U = "<http://www.Department0.University0.edu>", "<http://www.University0.edu>"
Q = {
    "Q1": f"SELECT ?x WHERE {{ ?x rdf:type ub:GraduateStudent . ?x ub:takesCourse <http://www.Department0.University0.edu/GraduateCourse0> }}",
    "Q2": "SELECT ?x ?y ?z WHERE { ?x rdf:type ub:GraduateStudent . ?y rdf:type ub:University . ?z rdf:type ub:Department . ?x ub:memberOf ?z . ?z ub:subOrganizationOf ?y . ?x ub:undergraduateDegreeFrom ?y }",
    "Q3": "SELECT ?x WHERE { ?x rdf:type ub:Publication . ?x ub:publicationAuthor <http://www.Department0.University0.edu/AssistantProfessor0> }",
    "Q4": f"SELECT ?x ?y1 ?y2 ?y3 WHERE {{ ?x rdf:type ub:Professor . ?x ub:worksFor {D} . ?x ub:name ?y1 . ?x ub:emailAddress ?y2 . ?x ub:telephone ?y3 }}",
    "Q5": f"SELECT ?x WHERE {{ ?x rdf:type ub:Person . ?x ub:memberOf {D} }}",
    "Q6": "SELECT ?x WHERE { ?x rdf:type ub:Student }",
    "Q7": "SELECT ?x ?y WHERE { ?x rdf:type ub:Student . ?y rdf:type ub:Course . ?x ub:takesCourse ?y . <http://www.Department0.University0.edu/AssociateProfessor0> ub:teacherOf ?y }",
    "Q8": f"SELECT ?x ?y ?z WHERE {{ ?x rdf:type ub:Student . ?y rdf:type ub:Department . ?x ub:memberOf ?y . ?y ub:subOrganizationOf {U} . ?x ub:emailAddress ?z }}",
    "Q9": "SELECT ?x ?y ?z WHERE { ?x rdf:type ub:Student . ?y rdf:type ub:Faculty . ?z rdf:type ub:Course . ?x ub:advisor ?y . ?y ub:teacherOf ?z . ?x ub:takesCourse ?z }",
    "Q10": "SELECT ?x WHERE { ?x rdf:type ub:Student . ?x ub:takesCourse <http://www.Department0.University0.edu/GraduateCourse0> }",
    "Q11": f"SELECT ?x WHERE {{ ?x rdf:type ub:ResearchGroup . ?x ub:subOrganizationOf {U} }}",
    "Q12": f"SELECT ?x ?y WHERE {{ ?x rdf:type ub:Chair . ?y rdf:type ub:Department . ?x ub:worksFor ?y . ?y ub:subOrganizationOf {U} }}",
    "Q13": f"SELECT ?x WHERE {{ ?x rdf:type ub:Person . {U} ub:hasAlumnus ?x }}",
    "Q14": "SELECT ?x WHERE { ?x rdf:type ub:UndergraduateStudent }",
}
print(json.dumps({k: len(list(store.query(P + q))) for k, q in Q.items()}))
