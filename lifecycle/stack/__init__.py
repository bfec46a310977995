"""The local stack: a real Kafka broker from Maven Central's jars and a PostgreSQL cluster from Debian's packages."""
