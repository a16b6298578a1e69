"""Every Cypher statement Keyturn sends to Neo4j is built in this package, and every name in
one passes through `_names`: the store's operations (`store`), the bulk import (`imports`),
the analyses (`analyses`) and the saved audit queries (`saved`)."""
