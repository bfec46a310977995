"""The pipeline's Kafka consumers and producers outside the stream processor: store, scheduler, notifier."""
