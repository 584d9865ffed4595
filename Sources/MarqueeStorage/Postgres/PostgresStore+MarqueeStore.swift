import MarqueeCore

/// Every store protocol the server needs, on PostgreSQL (one file per concern beside this one).
extension PostgresStore: MarqueeStore {}
