"""The job engine: quota limiter, fair queue, adaptive poller, durable jobs. No Discord here."""
